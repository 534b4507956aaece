package ai.diffiml.autograd;

import ai.diffiml.tensor.Tensor;

/** The backward step of one recorded op: from the output's gradient, add each wanted input gradient. */
@FunctionalInterface
public interface Backward {
    void apply(Tensor gradOutput, Grads grads);
}
