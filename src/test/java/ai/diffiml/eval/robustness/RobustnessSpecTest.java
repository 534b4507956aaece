package ai.diffiml.eval.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing robustness specs: the protocol's sweep, explicit steps, single strengths, and every bad form refused. */
class RobustnessSpecTest {
    @Test
    void theProtocolSweepUsesTheDefaultSteps() {
        RobustnessSpec s = RobustnessSpec.parse("jpeg:50..100,blur:3..23,noise:3..23");
        assertEquals(List.of(new RobustnessSpec.Sweep(AttackKind.JPEG, List.of(50, 60, 70, 80, 90, 100)),
                new RobustnessSpec.Sweep(AttackKind.BLUR, List.of(3, 7, 11, 15, 19, 23)),
                new RobustnessSpec.Sweep(AttackKind.NOISE, List.of(3, 7, 11, 15, 19, 23))), s.sweeps());
        assertEquals(18, s.attacks().size());
        assertEquals(new Attack(AttackKind.BLUR, 3), s.attacks().get(6));
        assertEquals("jpeg:50..100/10,blur:3..23/4,noise:3..23/4", s.toString());
        assertEquals(s, RobustnessSpec.parse(s.toString()));
    }

    @Test
    void explicitStepsSingleStrengthsCaseAndSpaces() {
        RobustnessSpec s = RobustnessSpec.parse(" NOISE : 5 .. 25 / 10 , jpeg:75 ,blur:5..9/2");
        assertEquals(List.of(5, 15, 25), s.sweeps().get(0).strengths());
        assertEquals(List.of(75), s.sweeps().get(1).strengths());
        assertEquals(List.of(5, 7, 9), s.sweeps().get(2).strengths());
        assertEquals("noise:5..25/10,jpeg:75,blur:5..9/2", s.toString());
        assertEquals("jpeg:70", new Attack(AttackKind.JPEG, 70).label());
    }

    @Test
    void badSpecsAreRefusedWithTheReason() {
        bad("", "empty");
        bad("   ", "empty");
        bad("jpeg", "is not an attack");
        bad("jpeg:", "is not an attack");
        bad("jpeg:50..", "is not an attack");
        bad("jpeg:50-100", "is not an attack");
        bad("jpeg:-5", "is not an attack");
        bad("jpeg:50..100,", "is not an attack");
        bad("jpeg:50.5", "is not an attack");
        bad("rotate:1..5", "unknown attack 'rotate'");
        bad("jpeg:100..50", "runs backwards");
        bad("jpeg:50..100/0", "step 0");
        bad("jpeg:55..100", "not a whole number of steps of 10 (the default jpeg step");
        bad("noise:3..10/4", "not a whole number of steps of 4");
        bad("jpeg:0", "jpeg quality must be in 1..100, got 0");
        bad("jpeg:95..105/5", "jpeg quality must be in 1..100, got 105");
        bad("blur:4", "blur kernel size must be odd, got 4");
        bad("blur:3..9/3", "blur kernel size must be odd, got 6");
        bad("noise:0..8", "noise variance must be in 1..10000, got 0");
        bad("jpeg:50,jpeg:60", "jpeg is given twice");
        bad("jpeg:99999999999", "too large");
    }

    private static void bad(String spec, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RobustnessSpec.parse(spec),
                spec);
        assertTrue(e.getMessage().contains(reason), () -> spec + ": " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), () -> "one line: " + e.getMessage());
    }
}
