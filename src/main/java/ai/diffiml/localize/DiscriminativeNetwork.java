package ai.diffiml.localize;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Backends;
import ai.diffiml.model.segformer.SegFormer;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Layout;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;

/**
 * The discriminative SegFormer baseline: one forward, sigmoid; with flip TTA the per-pixel maximum of the direct
 * and mirrored maps (the same fusion as DiffIML's). It has no ensemble; its whole forward is timed as the encoder.
 */
final class DiscriminativeNetwork extends Network {
    private final SegFormer model;
    private final boolean flipTta;

    DiscriminativeNetwork(SegFormer model, LocalizerOptions options) {
        super(model, model.device(), model.config().resolution());
        this.model = model;
        this.flipTta = options.flipTta();
    }

    @Override
    String description() {
        return "SegFormer (discriminative) MiT-" + model.config().variant() + ", " + resolution() + " px"
                + (flipTta ? ", flip TTA" : "");
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
            Tensor prob = model.predict(image);
            if (flipTta) {
                prob = Arithmetic.maximum(prob, Layout.flip(model.predict(Layout.flip(image, 3)), 3));
            }
            Backends.synchronize(device());
            long forward = System.nanoTime() - start;
            return new Output(prob.toArray(), null, 0, forward, 0, 0);
        }
    }
}
