package ai.diffiml.model.diffiml;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.diffusion.ErrorPrior;
import ai.diffiml.ops.Layout;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/** Training samples noised around the model's own first DDIM guess ({@link ModelConfig#guessShare}). */
class GuessNoisingTest {
    private static final ModelConfig ANCHORED = AnchorTest.TINY.withAnchor(true, AnchorForm.RESIDUAL, true)
            .withGuessShare(0.5f);

    @Test
    void aGuessedRowIsTheFirstStepsPredictionNoisedAsTheCleanLatentWouldBeAndTheOthersAreUnchanged() {
        try (DiffIml m = new DiffIml(ANCHORED, Device.CPU).init(4); Scope s = Scope.open();
                GradMode.Guard g = GradMode.disabled()) {
            m.train(false);
            Tensor w = m.unet().namedParameters().get("conv_out.weight");
            w.copyFrom(new Rand(3).uniform(w.numel(), -0.5, 0.5)); // a guess that is not the anchor
            DiffIml.Condition c = m.conditioning(new Rand(1).tensorIn(-1, 1, 2, 3, 32, 32));
            Tensor anchor = m.anchor(c, 32, 32);
            Tensor y0 = new Rand(2).tensorIn(-1, 1, 2, 8, 4, 4);
            Tensor xi = new Rand(6).tensorIn(-1, 1, 2, 8, 4, 4);
            Tensor eps = new Rand(7).tensorIn(-1, 1, 2, 8, 4, 4);
            int[] t = {300, 40};
            Tensor clean = ErrorPrior.noise(m.schedule(), y0, xi, eps, t, ANCHORED.priorRate());
            Tensor mixed = m.noisedAroundGuess(clean, t, xi, eps, c.feature(), anchor, new boolean[] {false, true});
            assertClose("unguessed row", Layout.slice(mixed, 0, 0, 1).copy().toArray(),
                    Layout.slice(clean, 0, 0, 1).copy().toArray(), 0);
            // Row 1 by hand: the x0 of the first DDIM step (t = 500 for 2 steps) from pure noise eps.
            int first = new ai.diffiml.diffusion.Ddim(m.schedule(), ANCHORED.sampleSteps(), false).timesteps()[0];
            assertEquals(500, first);
            Tensor guess = m.denoise(Layout.slice(eps, 0, 1, 1).copy(), new int[] {first},
                    Layout.slice(c.feature(), 0, 1, 1).copy(), Layout.slice(anchor, 0, 1, 1).copy());
            Tensor expected = ErrorPrior.noise(m.schedule(), guess, Layout.slice(xi, 0, 1, 1).copy(),
                    Layout.slice(eps, 0, 1, 1).copy(), new int[] {40}, ANCHORED.priorRate());
            float[] row1 = Layout.slice(mixed, 0, 1, 1).copy().toArray();
            assertClose("guessed row", row1, expected.toArray(), 1e-6);
            float[] cleanRow1 = Layout.slice(clean, 0, 1, 1).copy().toArray();
            double differs = 0;
            for (int i = 0; i < row1.length; i++) {
                differs = Math.max(differs, Math.abs(row1[i] - cleanRow1[i]));
            }
            assertTrue(differs > 1e-2, "the guessed row is not the clean latent's, by " + differs);
        }
    }

    @Test
    void noGuessesIsThePlainLossBitForBit() {
        try (DiffIml m = new DiffIml(ANCHORED, Device.CPU).init(4); Scope s = Scope.open();
                GradMode.Guard g = GradMode.disabled()) {
            m.train(false);
            Tensor image = new Rand(1).tensorIn(-1, 1, 2, 3, 32, 32);
            Tensor mask = Tensor.zeros(Device.CPU, 2, 1, 32, 32);
            Tensor xi = new Rand(6).tensorIn(-1, 1, 2, 8, 4, 4);
            Tensor eps = new Rand(7).tensorIn(-1, 1, 2, 8, 4, 4);
            int[] t = {300, 40};
            float plain = m.loss(image, mask, mask, t, xi, eps).total().item();
            float none = m.loss(image, mask, mask, t, xi, eps, null, new boolean[2]).total().item();
            assertEquals(plain, none);
            Tensor w = m.unet().namedParameters().get("conv_out.weight");
            w.copyFrom(new Rand(3).uniform(w.numel(), -0.5, 0.5));
            float plainAgain = m.loss(image, mask, mask, t, xi, eps).total().item();
            float guessed = m.loss(image, mask, mask, t, xi, eps, null, new boolean[] {true, true}).total().item();
            assertTrue(plainAgain != guessed, "guesses change the loss: " + plainAgain + " vs " + guessed);
            assertThrows(IllegalArgumentException.class,
                    () -> m.loss(image, mask, mask, t, xi, eps, null, new boolean[3]));
        }
    }

    @Test
    void guessesNeedAnAnchorAndAShareInTheUnitInterval() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AnchorTest.TINY.withGuessShare(0.5f))
                .getMessage().contains("guessShare needs auxAnchor"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ANCHORED.withGuessShare(1.5f))
                .getMessage().contains("guessShare must be in [0, 1]"));
    }
}
