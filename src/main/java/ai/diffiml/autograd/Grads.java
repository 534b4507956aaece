package ai.diffiml.autograd;

import ai.diffiml.tensor.Tensor;

/** What a {@link Backward} sees of its inputs: which need a gradient, and where to add one. */
public interface Grads {
    /** Whether input {@code i} (in the order given to {@link Tape#record}) needs a gradient. */
    boolean needs(int i);

    /** Adds {@code g} (same shape as input i) to input i's gradient. The tape may adopt {@code g} as storage. */
    void add(int i, Tensor g);
}
