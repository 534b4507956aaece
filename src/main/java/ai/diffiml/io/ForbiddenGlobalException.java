package ai.diffiml.io;

import java.nio.file.Path;

/**
 * A checkpoint's pickle names a Python global (class or function) outside the reader's allow-list, such as
 * {@code os.system} or {@code builtins.eval}. The reader refuses it at the opcode that names it, before anything
 * could be called; nothing is ever executed by the reader in any case.
 */
public final class ForbiddenGlobalException extends WeightFileException {
    private final String global;

    public ForbiddenGlobalException(Path file, String global, String problem) {
        super(file, problem);
        this.global = global;
    }

    /** The refused global as {@code module.name}. */
    public String global() {
        return global;
    }
}
