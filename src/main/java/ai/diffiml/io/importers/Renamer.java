package ai.diffiml.io.importers;

import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.WeightFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the renamed tensors of one file: each under our name (two source keys may not land on one name), the
 * keys left out on purpose, and the keys no rule recognised (an error once all keys are seen).
 */
final class Renamer {
    private final Path file;
    private final String layout;
    final Map<String, LoadedTensor> out = new LinkedHashMap<>();
    final List<String> ignored = new ArrayList<>();
    private final List<String> unknown = new ArrayList<>();
    private final Map<String, String> origin = new LinkedHashMap<>();

    Renamer(Path file, String layout) {
        this.file = file;
        this.layout = layout;
    }

    Path file() {
        return file;
    }

    void put(String ourName, LoadedTensor t, String fromKey) throws WeightFileException {
        String earlier = origin.putIfAbsent(ourName, fromKey);
        if (earlier != null) {
            throw new WeightFileException(file, "keys '" + earlier + "' and '" + fromKey + "' both map to '"
                    + ourName + "'");
        }
        out.put(ourName, t.withName(ourName));
    }

    void ignore(String key) {
        ignored.add(key);
    }

    void unknown(String key) {
        unknown.add(key);
    }

    /** Throws, naming the unrecognised keys, if there are any. */
    void requireAllRecognised() throws WeightFileException {
        if (!unknown.isEmpty()) {
            int show = Math.min(unknown.size(), 8);
            String names = String.join(", ", unknown.subList(0, show))
                    + (unknown.size() > show ? ", ... (" + (unknown.size() - show) + " more)" : "");
            throw new WeightFileException(file, unknown.size() + " key(s) not recognised as " + layout
                    + " weights: " + names);
        }
        if (out.isEmpty()) {
            throw new WeightFileException(file, "no " + layout + " weights in the file (" + ignored.size()
                    + " keys ignored)");
        }
    }

    /**
     * The state dict without a wrapper prefix that every key carries: {@code module.} (DistributedDataParallel)
     * or {@code _orig_mod.} (torch.compile), repeatedly.
     */
    static Map<String, LoadedTensor> unwrap(Map<String, LoadedTensor> state) {
        Map<String, LoadedTensor> cur = state;
        for (boolean changed = true; changed && !cur.isEmpty(); ) {
            changed = false;
            for (String prefix : List.of("module.", "_orig_mod.")) {
                if (cur.keySet().stream().allMatch(k -> k.startsWith(prefix))) {
                    Map<String, LoadedTensor> next = new LinkedHashMap<>();
                    cur.forEach((k, v) -> next.put(k.substring(prefix.length()), v));
                    cur = next;
                    changed = true;
                }
            }
        }
        return cur;
    }

    /** True for BatchNorm's step counter, which our BatchNorm does not keep. */
    static boolean isBatchCounter(String key) {
        return key.endsWith(".num_batches_tracked") || key.equals("num_batches_tracked");
    }
}
