package ai.diffiml.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One model repository's folder in the Hugging Face cache, laid out exactly as {@code huggingface_hub} lays it out,
 * so that files downloaded by either are found by the other:
 * <pre>
 * {cache}/models--OWNER--REPO/
 *   blobs/{etag}                       the file's bytes, named by its git SHA-1 or (LFS files) SHA-256
 *   snapshots/{commit}/{file}          relative symbolic link to ../../blobs/{etag}
 *   refs/{revision}                    the commit the branch or tag pointed to when last asked
 *   .no_exist/{commit}/{file}          empty: the file is known not to exist at that commit
 * {cache}/.locks/models--OWNER--REPO/{etag}.lock
 * </pre>
 */
public final class HubCache {
    private final Path cache;
    private final String folderName;
    private final Path folder;

    public HubCache(Path cache, String repo) {
        this.cache = cache;
        this.folderName = "models--" + repo.replace("/", "--");
        this.folder = cache.resolve(folderName);
    }

    /** {@code models--OWNER--REPO} inside the cache. */
    public Path folder() {
        return folder;
    }

    public Path blob(String etag) {
        return folder.resolve("blobs").resolve(etag);
    }

    /** Where a download of {@code etag} in progress is kept (and resumed from). */
    public Path incomplete(String etag) {
        return folder.resolve("blobs").resolve(etag + ".incomplete");
    }

    public Path lock(String etag) {
        return cache.resolve(".locks").resolve(folderName).resolve(etag + ".lock");
    }

    public Path snapshot(String commit, String file) {
        return folder.resolve("snapshots").resolve(commit).resolve(file);
    }

    /** The commit {@code refs/revision} records, or null. */
    public String commitOf(String revision) throws IOException {
        Path ref = folder.resolve("refs").resolve(revision);
        return Files.isRegularFile(ref) ? Files.readString(ref, StandardCharsets.UTF_8).strip() : null;
    }

    /** Records that {@code revision} points at {@code commit} (nothing when the revision is that commit). */
    public void recordRef(String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = folder.resolve("refs").resolve(revision);
        if (commit.equals(commitOf(revision))) {
            return;
        }
        Files.createDirectories(ref.getParent());
        Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Marks {@code file} as absent at {@code commit}, as {@code huggingface_hub} does after a 404. */
    public void recordMissing(String commit, String file) throws IOException {
        Path marker = folder.resolve(".no_exist").resolve(commit).resolve(file);
        Files.createDirectories(marker.getParent());
        try {
            Files.createFile(marker);
        } catch (FileAlreadyExistsException e) {
            // already known
        }
    }

    /**
     * Points {@code snapshots/commit/file} at the blob: a relative symbolic link as {@code huggingface_hub}
     * makes, or a copy where the file system has no links.
     */
    public Path link(String commit, String file, String etag) throws IOException {
        Path pointer = snapshot(commit, file);
        Files.createDirectories(pointer.getParent());
        Path target = pointer.getParent().relativize(blob(etag));
        Files.deleteIfExists(pointer);
        try {
            Files.createSymbolicLink(pointer, target);
        } catch (UnsupportedOperationException | IOException noLinks) {
            Files.copy(blob(etag), pointer, StandardCopyOption.REPLACE_EXISTING);
        }
        return pointer;
    }

    /** The files of the snapshot of {@code commit}, relative, with '/' separators (empty when none is cached). */
    public List<String> snapshotFiles(String commit) throws IOException {
        Path dir = folder.resolve("snapshots").resolve(commit);
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(p -> !Files.isDirectory(p)).forEach(p -> out.add(dir.relativize(p).toString()
                    .replace(dir.getFileSystem().getSeparator(), "/")));
        }
        out.sort(null);
        return out;
    }
}
