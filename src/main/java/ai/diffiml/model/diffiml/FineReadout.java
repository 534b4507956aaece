package ai.diffiml.model.diffiml;

import ai.diffiml.backend.Device;
import ai.diffiml.nn.BatchNorm2d;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Module;
import ai.diffiml.ops.Activations;
import ai.diffiml.tensor.Tensor;

/**
 * The auxiliary head's read-out at 1/4 resolution ({@link ModelConfig#auxFine}): the condition head's four stage
 * projections resized to the first stage's grid and stacked, then a 1x1 conv to {@value #WIDTH} channels, BatchNorm,
 * ReLU and a 1x1 conv to one logit, as SegFormer's all-MLP decoder reads its encoder. Why: the condition feature
 * lives on the latent's 1/8 grid, where a region's boundary is blurred over 8 pixels; the discriminative SegFormer of
 * the same budget, decoding at 1/4, scores higher than the auxiliary head on F. Weight names:
 * {@code aux_fine.fuse|norm|out.*}.
 */
public final class FineReadout extends Module {
    /** Width of the read-out's hidden layer. */
    static final int WIDTH = 64;

    private final Conv2d fuse, out;
    private final BatchNorm2d norm;

    public FineReadout(Device device, int stackedChannels) {
        fuse = child("fuse", new Conv2d(device, stackedChannels, WIDTH, 1, 1, 0, 1, false));
        norm = child("norm", new BatchNorm2d(device, WIDTH));
        out = child("out", new Conv2d(device, WIDTH, 1, 1, 1, 0, 1, true));
    }

    public void init(Init init) {
        fuse.init(init);
        out.init(init);
    }

    /** Logits [B, 1, h, w] of the stacked projections [B, stackedChannels, h, w]. */
    public Tensor forward(Tensor stacked) {
        return out.forward(Activations.relu(norm.forward(fuse.forward(stacked))));
    }
}
