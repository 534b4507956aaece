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
    /** The report of one step: {@code before} (unrecorded work), then relu and sum of a [2, 3] tensor and backward. */
    private static String profileOneStep(Runnable before) {
        OpProfile.enable(true);
        OpProfile.reset();
        try (Scope s = Scope.open()) {
            before.run();
            Tensor x = Tensor.full(Device.CPU, 0.5f, 2, 3).requiresGrad(true);
            Tape.backward(ai.diffiml.ops.Reduce.sum(Activations.relu(x)));
            x.close();
        } finally {
            OpProfile.enable(false);
        }
        return OpProfile.report(1);
    }

    @Test
    void recordsForwardAndBackwardTimePerOpAndShapeWhenEnabled() {
        String report = profileOneStep(() -> {});
        assertTrue(report.contains("forward:") && report.contains("backward:"), report);
        assertTrue(report.contains("relu [2, 3]"), report);
    }

    @Test
    void lapBooksUnrecordedWorkUnderItsOwnNameAndNotUnderTheNextOp() {
        String report = profileOneStep(() -> {
            try {
                Thread.sleep(30); // stands for a no-grad pass
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            OpProfile.lap("targets");
        });
        Matcher targets = Pattern.compile("([0-9.]+) ms +1 calls  targets").matcher(report);
        Matcher relu = Pattern.compile("([0-9.]+) ms +1 calls  relu \\[2, 3\\]").matcher(report);
        assertTrue(targets.find() && relu.find(), report);
        assertTrue(Double.parseDouble(targets.group(1)) >= 25, report);
        assertTrue(Double.parseDouble(relu.group(1)) < 25, report);
    }
}
