package ai.diffiml.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.ops.Activations;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import org.junit.jupiter.api.Test;

class OpProfileTest {
    @Test
    void recordsForwardAndBackwardTimePerOpAndShapeWhenEnabled() {
        OpProfile.enable(true);
        OpProfile.reset();
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.full(Device.CPU, 0.5f, 2, 3).requiresGrad(true);
            Tape.backward(ai.diffiml.ops.Reduce.sum(Activations.relu(x)));
            x.close();
        } finally {
            OpProfile.enable(false);
        }
        String report = OpProfile.report(1);
        assertTrue(report.contains("forward:") && report.contains("backward:"), report);
        assertTrue(report.contains("relu [2, 3]"), report);
    }
}
