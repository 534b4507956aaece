package ai.diffiml.io;

import ai.diffiml.nn.Module;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Moves named weights between a {@link Module}'s state dict and host tensors. Loading checks every name, shape, type
 * and value first and reports all mismatches at once (missing, unexpected, wrong shape, integer data, NaN or
 * infinite values, with the tensor's name); only then are
 * values copied, so a failed load leaves the module as it was.
 */
public final class ModuleWeights {
    private ModuleWeights() {}

    /** Loads {@code weights} (from {@code source}) into {@code module}; every name must match both ways. */
    public static void load(Module module, Map<String, LoadedTensor> weights, Path source) throws WeightFileException {
        load(module, "", weights, source);
    }

    /**
     * Loads {@code weights} into {@code module}, a part of a larger model whose tensors are named
     * {@code prefix + <the part's own name>} (e.g. {@code "segformer.encoder."} for the encoder of a DiffIml):
     * every name in {@code weights} must be such a prefixed name of the part, and every tensor of the part must be
     * there. Messages use the prefixed names.
     */
    public static void load(Module module, String prefix, Map<String, LoadedTensor> weights, Path source)
            throws WeightFileException {
        Map<String, Tensor> state = new LinkedHashMap<>();
        module.stateDict().forEach((name, t) -> state.put(prefix + name, t));
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            LoadedTensor w = weights.get(e.getKey());
            if (w == null) {
                missing.add(e.getKey());
            } else if (w.isInteger()) {
                problems.add(e.getKey() + ": integer data (" + w.storedAs() + ") for a float tensor");
            } else if (!java.util.Arrays.equals(w.shape(), e.getValue().shape())) {
                problems.add(e.getKey() + ": shape " + Shapes.str(w.shape()) + " in the file, "
                        + Shapes.str(e.getValue().shape()) + " in the model");
            } else if (w.nonFinite() != null) {
                problems.add(e.getKey() + ": " + w.nonFinite());
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : weights.keySet()) {
            if (!state.containsKey(name)) {
                unexpected.add(name);
            }
        }
        if (problems.size() > 8) {
            int more = problems.size() - 8;
            problems.subList(8, problems.size()).clear();
            problems.add("... (" + more + " more misfits)");
        }
        if (!missing.isEmpty()) {
            problems.add(missing.size() + " missing: " + abbreviate(missing));
        }
        if (!unexpected.isEmpty()) {
            problems.add(unexpected.size() + " unexpected: " + abbreviate(unexpected));
        }
        if (!problems.isEmpty()) {
            throw new WeightFileException(source, "weights do not fit the " + module.getClass().getSimpleName()
                    + (prefix.isEmpty() ? " model: " : " at '" + prefix + "': ") + String.join("; ", problems));
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            e.getValue().copyFrom(weights.get(e.getKey()).toFloats());
        }
    }

    /** Host copies of the module's parameters and buffers, by name, in state-dict order. */
    public static Map<String, LoadedTensor> snapshot(Module module) {
        Map<String, LoadedTensor> out = new LinkedHashMap<>();
        module.stateDict().forEach((name, t) -> out.put(name, LoadedTensor.of(name, t)));
        return out;
    }

    private static String abbreviate(List<String> names) {
        int show = Math.min(names.size(), 8);
        String head = String.join(", ", names.subList(0, show));
        return names.size() > show ? head + ", ... (" + (names.size() - show) + " more)" : head;
    }
}
