package ai.diffiml.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.util.function.Function;

/**
 * Runs an op forward and backward on CPU and on CUDA from the same random inputs and compares output and every
 * input gradient. Every CUDA allocation is NaN-poisoned first, so a kernel that leaves any output element
 * unwritten fails. Tolerance: {@link #F32} (1e-4, norm-wise relative, see {@link Close}).
 */
public final class DeviceParity {
    public static final double F32 = 1e-4;

    private DeviceParity() {}

    public static void check(String name, Function<Tensor[], Tensor> f, Tensor... cpuInputs) {
        check(name, F32, f, cpuInputs);
    }

    public static void check(String name, double tol, Function<Tensor[], Tensor> f, Tensor... cpuInputs) {
        Rand rand = new Rand(11);
        float[] cpuOut;
        float[] gradOut;
        float[][] cpuGrads = new float[cpuInputs.length][];
        for (Tensor in : cpuInputs) {
            if (in.grad() != null) { // gradients of an earlier check would otherwise add up
                in.grad().close();
                in.setGrad(null);
            }
        }
        try (Scope scope = Scope.open()) {
            Tensor y = f.apply(cpuInputs);
            cpuOut = y.toArray();
            gradOut = rand.uniform(y.numel(), -1, 1);
            if (Tape.size() > 0) {
                Tape.backward(y, Tensor.of(Device.CPU, gradOut, y.shape()));
            }
            for (int k = 0; k < cpuInputs.length; k++) {
                if (cpuInputs[k].grad() != null) {
                    cpuGrads[k] = cpuInputs[k].grad().toArray();
                }
            }
        }
        Tensor.poisonAllocations(true);
        try (Scope scope = Scope.open()) {
            Tensor[] gpuInputs = new Tensor[cpuInputs.length];
            for (int k = 0; k < cpuInputs.length; k++) {
                gpuInputs[k] = cpuInputs[k].to(Device.CUDA).requiresGrad(cpuInputs[k].requiresGrad());
            }
            Tensor y = f.apply(gpuInputs);
            Close.assertClose(name + " forward (CUDA vs CPU)", y.toArray(), cpuOut, tol);
            if (Tape.size() > 0) {
                Tape.backward(y, Tensor.of(Device.CUDA, gradOut, y.shape()));
            }
            for (int k = 0; k < cpuInputs.length; k++) {
                if (cpuGrads[k] != null) {
                    assertNotNull(gpuInputs[k].grad(), name + ": no CUDA gradient for input " + k);
                    Close.assertClose(name + " gradient of input " + k + " (CUDA vs CPU)",
                            gpuInputs[k].grad().toArray(), cpuGrads[k], tol);
                }
            }
        } finally {
            Tensor.poisonAllocations(false);
        }
    }
}
