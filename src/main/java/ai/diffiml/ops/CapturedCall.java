package ai.diffiml.ops;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.CudaGraph;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A tensor function replayed from a CUDA graph, one graph per combination of input shapes. Inference only: with
 * gradients enabled, or off CUDA, every call runs the function eagerly.
 *
 * <p>The first call with new shapes runs the function eagerly with a {@link Workspace} of its own (its result is
 * returned; the run also grows that workspace's scratch buffers to their size outside the capture, and no later
 * call of another shape can free them under the graph), then copies the inputs
 * into static input tensors and captures the function on them, its output copied into a static output tensor
 * and its intermediates freed inside the graph (graph memory nodes). Later calls copy the inputs into the static
 * ones (device-to-device, on the stream), replay the graph and return a copy of the static output. The function
 * must depend on nothing but its inputs and fixed tensors (weights), issue no host copy or synchronisation, and
 * return a tensor of the same shape for the same input shapes. One thread at a time; the CUDA stream must not
 * be used by other threads while a graph is captured.
 *
 * <p>Status: compiled, not yet run on a GPU.
 */
public final class CapturedCall implements AutoCloseable {
    private final String name;
    private final Function<Tensor[], Tensor> body;
    private final Map<String, Captured> graphs = new HashMap<>();

    private record Captured(CudaGraph graph, Tensor[] inputs, Tensor output, Workspace workspace) {}

    public CapturedCall(String name, Function<Tensor[], Tensor> body) {
        this.name = name;
        this.body = body;
    }

    /** {@code body(inputs)}, from a graph once this shape combination has been captured. */
    public synchronized Tensor call(Tensor... inputs) {
        if (inputs.length == 0 || inputs[0].device() != Device.CUDA || GradMode.enabled()) {
            return body.apply(inputs);
        }
        String key = key(inputs);
        Captured c = graphs.get(key);
        if (c == null) {
            // The graph bakes in the addresses of the scratch buffers it uses, so it gets a workspace of its own:
            // the thread's shared one is regrown (freed and reallocated) by calls of other shapes.
            Workspace own = Workspace.detached();
            try {
                Tensor eager = Workspace.using(own, () -> body.apply(inputs));
                graphs.put(key, Workspace.using(own, () -> capture(inputs, eager.shape(), own)));
                return eager;
            } catch (RuntimeException | Error e) {
                own.free();
                throw e;
            }
        }
        for (int i = 0; i < inputs.length; i++) {
            c.inputs[i].copyFrom(inputs[i]);
        }
        c.graph.launch();
        return c.output.copy();
    }

    /** Number of captured graphs (one per input shape combination seen). */
    public synchronized int graphs() {
        return graphs.size();
    }

    private Captured capture(Tensor[] inputs, int[] outShape, Workspace own) {
        Tensor[] statics = new Tensor[inputs.length];
        Tensor output = null;
        try {
            for (int i = 0; i < inputs.length; i++) {
                statics[i] = Tensor.detachedEmpty(Device.CUDA, inputs[i].shape());
                statics[i].copyFrom(inputs[i]);
            }
            Tensor out = Tensor.detachedEmpty(Device.CUDA, outShape);
            output = out;
            CudaGraph graph = CudaGraph.capture(() -> {
                try (Scope scope = Scope.open()) {
                    Tensor y = body.apply(statics);
                    if (!Arrays.equals(y.shape(), outShape)) {
                        throw new IllegalStateException(name + ": the captured call returned " + y.describe()
                                + ", the eager one " + Arrays.toString(outShape));
                    }
                    out.copyFrom(y);
                }
            });
            return new Captured(graph, statics, out, own);
        } catch (RuntimeException | Error e) {
            for (Tensor t : statics) {
                if (t != null) {
                    t.close();
                }
            }
            if (output != null) {
                output.close();
            }
            throw e;
        }
    }

    private static String key(Tensor[] inputs) {
        StringBuilder sb = new StringBuilder();
        for (Tensor t : inputs) {
            sb.append(Arrays.toString(t.shape())).append(';');
        }
        return sb.toString();
    }

    /** Frees every graph and its static tensors. */
    @Override
    public synchronized void close() {
        for (Captured c : graphs.values()) {
            c.graph.close();
            for (Tensor t : c.inputs) {
                t.close();
            }
            c.output.close();
            c.workspace.free();
        }
        graphs.clear();
    }
}
