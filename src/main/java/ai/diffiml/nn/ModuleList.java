package ai.diffiml.nn;

import java.util.ArrayList;
import java.util.List;

/** Children named by index ("0", "1", ...), as PyTorch's nn.ModuleList names them. */
public final class ModuleList<M extends Module> extends Module {
    private final List<M> items = new ArrayList<>();

    public M add(M module) {
        child(Integer.toString(items.size()), module);
        items.add(module);
        return module;
    }

    public M get(int i) {
        return items.get(i);
    }

    public int size() {
        return items.size();
    }

    public List<M> items() {
        return List.copyOf(items);
    }
}
