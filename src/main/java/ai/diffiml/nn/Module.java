package ai.diffiml.nn;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model part with named parameters (trainable leaves), buffers (state such as BatchNorm running statistics)
 * and named children. Names compose with dots ({@code block.0.0.attention.self.query.weight}) in registration
 * order, which is also the checkpoint order. A module owns its tensors: {@link #close()} frees them and those
 * of its children. Parameters and buffers are unowned by any {@link ai.diffiml.tensor.Scope}.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a trainable parameter of the given shape, uninitialised (see {@link Init}). */
    protected Tensor param(String name, Device device, int... shape) {
        Tensor t = Tensor.detachedEmpty(device, shape).requiresGrad(true).name(name);
        put(params, name, t);
        return t;
    }

    /** Registers a non-trainable state tensor (saved in checkpoints, never given a gradient). */
    protected Tensor buffer(String name, Device device, int... shape) {
        Tensor t = Tensor.detachedEmpty(device, shape).name(name);
        put(buffers, name, t);
        return t;
    }

    protected <M extends Module> M child(String name, M module) {
        if (children.containsKey(name) || params.containsKey(name) || buffers.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": duplicate name '" + name + "'");
        }
        children.put(name, module);
        return module;
    }

    private void put(Map<String, Tensor> map, String name, Tensor t) {
        if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            t.close();
            throw new IllegalArgumentException(getClass().getSimpleName() + ": duplicate name '" + name + "'");
        }
        map.put(name, t);
    }

    /** Trainable parameters of this module and its children, by dotted name, in registration order. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, false);
        return Collections.unmodifiableMap(out);
    }

    /** Buffers of this module and its children, by dotted name. */
    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, false, true);
        return Collections.unmodifiableMap(out);
    }

    /** Parameters and buffers: everything a checkpoint holds. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, true);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean withParams, boolean withBuffers) {
        if (withParams) {
            params.forEach((n, t) -> out.put(prefix + n, t));
        }
        if (withBuffers) {
            buffers.forEach((n, t) -> out.put(prefix + n, t));
        }
        children.forEach((n, c) -> c.collect(prefix + n + ".", out, withParams, withBuffers));
    }

    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Number of trainable scalars. */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) {
            n += t.numel();
        }
        return n;
    }

    /** Training mode (drop-path, dropout, BatchNorm batch statistics) for this module and its children. */
    public void train(boolean on) {
        training = on;
        children.values().forEach(c -> c.train(on));
    }

    public boolean isTraining() {
        return training;
    }

    /** Closes and forgets the gradients of all parameters. */
    public void zeroGrad() {
        for (Tensor p : namedParameters().values()) {
            if (p.grad() != null) {
                p.grad().close();
                p.setGrad(null);
            }
        }
    }

    @Override
    public void close() {
        children.values().forEach(Module::close);
        params.values().forEach(Tensor::close);
        buffers.values().forEach(Tensor::close);
    }
}
