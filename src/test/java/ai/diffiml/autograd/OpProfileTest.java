package ai.diffiml.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.ops.Activations;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Test
    void lapBooksUnrecordedWorkUnderItsOwnNameAndNotUnderTheNextOp() throws InterruptedException {
        OpProfile.enable(true);
        OpProfile.reset();
        try (Scope s = Scope.open()) {
            Thread.sleep(30); // stands for a no-grad pass
            OpProfile.lap("targets");
            Tensor x = Tensor.full(Device.CPU, 0.5f, 2, 3).requiresGrad(true);
            Tape.backward(ai.diffiml.ops.Reduce.sum(Activations.relu(x)));
            x.close();
        } finally {
            OpProfile.enable(false);
        }
        String report = OpProfile.report(1);
        Matcher targets = Pattern.compile("([0-9.]+) ms +1 calls  targets").matcher(report);
        Matcher relu = Pattern.compile("([0-9.]+) ms +1 calls  relu \\[2, 3\\]").matcher(report);
        assertTrue(targets.find() && relu.find(), report);
        assertTrue(Double.parseDouble(targets.group(1)) >= 25, report);
        assertTrue(Double.parseDouble(relu.group(1)) < 25, report);
    }
}
