package ai.diffiml.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.ModuleWeights;
import ai.diffiml.nn.Module;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Reduce;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.RectangleBatches;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Steps with a non-finite loss or gradient (the SegFormer baseline at 32 px, batch 2, with the loss of chosen steps
 * poisoned): they are skipped with no update, logged and counted, and a run stops with a one-line message after the
 * set number of them in a row.
 */
class TrainerBadStepsTest {
    @TempDir
    Path dir;

    /** Four steps: 2 epochs x 2 batches, no last/ except at epoch ends. */
    static final TrainSettings SETTINGS = new TrainSettings(2, 1e-3, 0.5, 0.05, 1.0, 42, 0, 2, 1, 0);

    /** A task whose loss at the listed steps (0-based) is NaN, or finite with an infinite gradient. */
    static final class Poisoned implements Task {
        final Task inner;
        final Set<Long> nanLoss, infiniteGradient;

        Poisoned(Task inner, Set<Long> nanLoss, Set<Long> infiniteGradient) {
            this.inner = inner;
            this.nanLoss = nanLoss;
            this.infiniteGradient = infiniteGradient;
        }

        @Override
        public StepLoss loss(Batch batch, long step, long seed) {
            StepLoss l = inner.loss(batch, step, seed);
            if (nanLoss.contains(step)) {
                return new StepLoss(Arithmetic.scale(l.total(), Float.NaN), l.terms());
            }
            if (infiniteGradient.contains(step)) {
                // p * 1e-30 * 1e-15 underflows to 0 going forward, so the loss is unchanged; going back the
                // gradient 1 * 1e30 * 1e30 overflows to infinity before the small factors are applied.
                Tensor p = inner.trainable().values().iterator().next();
                Tensor z = Reduce.sum(Arithmetic.scale(Arithmetic.scale(Arithmetic.scale(Arithmetic.scale(p, 1e-30f),
                        1e-15f), 1e30f), 1e30f));
                return new StepLoss(Arithmetic.add(l.total(), z), l.terms());
            }
            return l;
        }

        @Override public String head() { return inner.head(); }
        @Override public Module model() { return inner.model(); }
        @Override public Map<String, Tensor> trainable() { return inner.trainable(); }
        @Override public void trainMode() { inner.trainMode(); }
        @Override public void evalMode() { inner.evalMode(); }
        @Override public Tensor probability(Tensor images, TrainSettings settings, long sampleSeed) {
            return inner.probability(images, settings, sampleSeed);
        }
        @Override public void save(Path d, AdamW optimizer, Checkpoint.Progress progress) throws IOException {
            inner.save(d, optimizer, progress);
        }
        @Override public void loadOptimizer(Path d, AdamW optimizer) throws IOException {
            inner.loadOptimizer(d, optimizer);
        }
        @Override public void close() { inner.close(); }
    }

    private static Task segformer() throws IOException {
        return DiscriminativeTask.create(TrainerTest.TINY_SEG, Device.CPU, SETTINGS.seed(), null);
    }

    @Test
    void stepsWithNonFiniteLossOrGradientAreSkippedLoggedAndCounted() throws IOException {
        RunFolder run = new RunFolder(dir.resolve("run"));
        List<Map<String, LoadedTensor>> weightsAfter = new ArrayList<>();
        List<Trainer.StepReport> steps = new ArrayList<>();
        try (Task task = new Poisoned(segformer(), Set.of(1L), Set.of(2L));
                RectangleBatches train = new RectangleBatches(4, 2, 32, 1, 0)) {
            weightsAfter.add(ModuleWeights.snapshot(task.model()));
            Trainer.Result r = new Trainer(task, train, null, SETTINGS, run, Device.CPU).listener(s -> {
                steps.add(s);
                weightsAfter.add(ModuleWeights.snapshot(task.model()));
            }).run(Trainer.Start.fresh());
            assertEquals(4, r.steps());
            assertFalse(r.stopped());
        }
        assertTrue(Double.isNaN(steps.get(1).loss()), steps::toString);
        assertTrue(Double.isFinite(steps.get(2).loss()) && Double.isInfinite(steps.get(2).gradNorm()),
                steps::toString);
        // steps 2 and 3 (1-based; 0-based 1 and 2) left every weight as it was; step 4 trained (step 1 runs at
        // learning rate 0, the start of the warm-up)
        assertSame(weightsAfter.get(1), weightsAfter.get(2));
        assertSame(weightsAfter.get(2), weightsAfter.get(3));
        assertChanged(weightsAfter.get(3), weightsAfter.get(4));

        List<JsonNode> log = MetricsLog.read(run.metrics());
        assertEquals(4, log.size());
        assertNull(log.get(0).get("skipped"));
        assertEquals("the loss is NaN", log.get(1).get("skipped").asText());
        assertFalse(log.get(1).has("loss"), "a non-finite loss is left out of its record");
        assertEquals("the gradient norm is Infinity", log.get(2).get("skipped").asText());
        assertEquals(2, log.get(2).get("skipped_steps").asInt());
        assertNull(log.get(3).get("skipped"));
        assertEquals(2, log.get(3).get("skipped_steps").asInt());
        assertTrue(Double.isFinite(ai.diffiml.io.SegFormerCheckpoint.readMeta(run.last()).metrics().get("loss")),
                "the checkpoint keeps the last finite loss");
    }

    @Test
    void aRunStopsAfterTheSetNumberOfBadStepsInARow() throws IOException {
        RunFolder run = new RunFolder(dir.resolve("run"));
        try (Task task = new Poisoned(segformer(), Set.of(0L), Set.of(1L));
                RectangleBatches train = new RectangleBatches(4, 2, 32, 1, 0)) {
            Trainer t = new Trainer(task, train, null, SETTINGS, run, Device.CPU).maxBadSteps(2);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.run(Trainer.Start.fresh()));
            assertEquals("training diverged at step 2: the gradient norm is Infinity (2 steps in a row with a"
                    + " non-finite loss or gradient, 2 skipped in this session)", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.maxBadSteps(0));
        }
    }

    private static void assertSame(Map<String, LoadedTensor> a, Map<String, LoadedTensor> b) {
        a.forEach((n, t) -> assertArrayEquals(t.floats(), b.get(n).floats(), n));
    }

    private static void assertChanged(Map<String, LoadedTensor> a, Map<String, LoadedTensor> b) {
        long changed = a.keySet().stream().filter(n -> !java.util.Arrays.equals(a.get(n).floats(), b.get(n).floats()))
                .count();
        assertTrue(changed > a.size() / 2, changed + " of " + a.size() + " tensors changed");
    }
}
