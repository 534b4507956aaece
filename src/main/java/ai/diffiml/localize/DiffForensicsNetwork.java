package ai.diffiml.localize;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Backends;
import ai.diffiml.model.diffforensics.DiffForensics;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Layout;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;

/**
 * DiffForensics: one forward at the fixed time t_f, sigmoid of the localization logits and of the detection logit;
 * with flip TTA the per-pixel maximum of the direct and mirrored maps and the larger of the two detection scores.
 * No ensemble; the whole forward is timed as the encoder.
 */
final class DiffForensicsNetwork extends Network {
    private final DiffForensics model;
    private final boolean flipTta;

    DiffForensicsNetwork(DiffForensics model, LocalizerOptions options) {
        super(model, model.device(), model.config().resolution());
        this.model = model;
        this.flipTta = options.flipTta();
    }

    @Override
    String description() {
        return "DiffForensics MiT-" + model.config().variant() + ", " + resolution() + " px, t_f "
                + model.config().fineTuneStep() + (flipTta ? ", flip TTA" : "");
    }

    @Override
    boolean hasDetectionHead() {
        return true;
    }

    @Override
    boolean hasEnsemble() {
        return false;
    }

    @Override
    Output run(float[] pixels, int batch, boolean memberMaps) {
        int r = resolution();
        long start = System.nanoTime();
        try (Scope scope = Scope.open(); GradMode.Guard g = GradMode.disabled()) {
            Tensor image = Tensor.of(device(), pixels, batch, 3, r, r);
            DiffForensics.Prediction p = model.predict(image);
            Tensor prob = p.probability(), detection = p.detection();
            if (flipTta) {
                DiffForensics.Prediction q = model.predict(Layout.flip(image, 3));
                prob = Arithmetic.maximum(prob, Layout.flip(q.probability(), 3));
                detection = Arithmetic.maximum(detection, q.detection());
            }
            Backends.synchronize(device());
            long forward = System.nanoTime() - start;
            return new Output(prob.toArray(), null, 0, forward, 0, 0, detection.toArray());
        }
    }
}
