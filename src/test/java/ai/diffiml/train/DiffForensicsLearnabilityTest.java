package ai.diffiml.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.eval.RocAuc;
import ai.diffiml.model.diffforensics.DiffForensics;
import ai.diffiml.tensor.Scope;
import ai.diffiml.testing.NoiseLevelBatches;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DiffForensics learns the honest task of {@link LearnabilityTest} (a region told apart only by its noise level;
 * training and held-out data from different seeds) through both stages: stage 1 lowers the held-out denoising
 * loss; after stage 2 the held-out pixel AUC ends above 0.9 and the detection head's image AUC above 0.8, both
 * measured before training too, where the untrained model must score below 0.75 (pixels) and 0.7 (images).
 */
class DiffForensicsLearnabilityTest {
    private static final int RES = 64, BATCH = 8;

    @TempDir
    Path dir;

    private static NoiseLevelBatches train() {
        return new NoiseLevelBatches(96, BATCH, RES, 11, 4, 2, 9);
    }

    private static NoiseLevelBatches heldOut() {
        return new NoiseLevelBatches(48, BATCH, RES, 12345, 4, 2, 9);
    }

    private static TrainSettings settings(int epochs) {
        return new TrainSettings(epochs, 1e-3, 0.2, 0.05, 1.0, 3, 0, 1, 1, 0, 0.1, null, 0);
    }

    /** {pixel AUC, image AUC} of the task's maps and detection scores on the held-out data. */
    private static double[] heldOutAucs(DiffForensicsTask task) {
        task.evalMode();
        ValidationScores pixels = new ValidationScores();
        List<Double> scores = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        try (NoiseLevelBatches val = heldOut()) {
            for (int i = 0; i < val.batchesPerEpoch(); i++) {
                try (Scope scope = Scope.open(); Batch b = val.batch(0, i, Device.CPU)) {
                    DiffForensics.Prediction p = task.diffForensics().predict(b.images());
                    pixels.add(p.probability(), b.masks(), b.tampered());
                    float[] d = p.detection().toArray();
                    for (int k = 0; k < d.length; k++) {
                        scores.add((double) d[k]);
                        labels.add(b.tampered()[k]);
                    }
                }
            }
        }
        double[] s = scores.stream().mapToDouble(Double::doubleValue).toArray();
        boolean[] y = new boolean[s.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.get(i);
        }
        return new double[] {pixels.summary().auc(), RocAuc.of(s, y)};
    }

    private static double heldOutDenoising(DiffForensicsTask task) {
        try (NoiseLevelBatches val = heldOut(); Scope scope = Scope.open(); Batch b = val.batch(0, 0, Device.CPU)) {
            return task.heldOutDenoisingLoss(b, 5);
        }
    }

    @Test
    void bothStagesLearnANoiseLevelRegionAndItsImageLabel() throws IOException {
        DiffForensics.Config config = DiffForensics.Config.paper("b0", RES).withDecoderWidth(16).withNoiseStem("srm")
                .withPixelWeights(3f, 1f).withImageWeights(0.2f, 0.7f);
        Path stage1 = dir.resolve("pretrain");
        double denoiseBefore, denoiseAfter;
        try (DiffForensicsTask task = DiffForensicsTask.create(config, DiffForensicsTask.Stage.PRETRAIN, Device.CPU, 3,
                null); NoiseLevelBatches data = train()) {
            denoiseBefore = heldOutDenoising(task);
            new Trainer(task, data, null, settings(2), new RunFolder(stage1), Device.CPU).run(Trainer.Start.fresh());
            denoiseAfter = heldOutDenoising(task);
        }
        try (DiffForensicsTask task = DiffForensicsTask.fineTuneFrom(new RunFolder(stage1).last(), config,
                Device.CPU, 3)) {
            double[] before = heldOutAucs(task);
            Trainer.Result r;
            try (NoiseLevelBatches data = train()) {
                r = new Trainer(task, data, null, settings(4), new RunFolder(dir.resolve("run")), Device.CPU)
                        .run(Trainer.Start.fresh());
            }
            double[] after = heldOutAucs(task);
            String what = "held-out denoising MSE " + denoiseBefore + " -> " + denoiseAfter + "; pixel AUC "
                    + before[0] + " -> " + after[0] + ", image AUC " + before[1] + " -> " + after[1] + " in "
                    + r.steps() + " fine-tuning steps";
            System.out.println("learnability, diffforensics: " + what);
            assertTrue(denoiseAfter < 0.9 * denoiseBefore, "stage 1 does not learn to denoise: " + what);
            assertTrue(before[0] < 0.75 && before[1] < 0.7, "untrained already separates: " + what);
            assertTrue(after[0] > 0.9, what);
            assertTrue(after[1] > 0.8, what);
        }
    }
}
