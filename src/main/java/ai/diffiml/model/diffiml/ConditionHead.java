package ai.diffiml.model.diffiml;

import ai.diffiml.backend.Device;
import ai.diffiml.nn.BatchNorm2d;
import ai.diffiml.nn.Container;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Module;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Layout;
import ai.diffiml.ops.Resize;
import ai.diffiml.tensor.Tensor;

/**
 * The release's condition head: each stage map -> 1x1 conv (bias) to {@code channels} -> bilinear resize
 * (align_corners false) to the 1/8 grid -> concat [c4, c3, c2, c1] -> 3x3 conv (no bias) -> BatchNorm -> ReLU.
 */
public final class ConditionHead extends Module {
    private final Conv2d[] linear = new Conv2d[4];
    private final Conv2d fuse;
    private final BatchNorm2d fuseNorm;

    public ConditionHead(Device device, int[] stageDims, int channels) {
        for (int i = 0; i < 4; i++) {
            linear[i] = child("linear_c" + (i + 1), new Conv2d(device, stageDims[i], channels, 1, 1, 0, 1, true));
        }
        Container linearFuse = child("linear_fuse", new Container());
        fuse = linearFuse.add("0", new Conv2d(device, 4 * channels, channels, 3, 1, 1, 1, false));
        fuseNorm = linearFuse.add("1", new BatchNorm2d(device, channels));
    }

    public void init(Init init) {
        for (Conv2d c : linear) {
            c.init(init);
        }
        fuse.init(init);
    }

    /** Condition feature [B, channels, H/8, W/8] from the four encoder stages. */
    public Tensor forward(Tensor[] stages) {
        return fuse(project(stages));
    }

    /** Each stage's 1x1 projection to {@code channels}, at the stage's own resolution (1/4 .. 1/32), c1 first. */
    public Tensor[] project(Tensor[] stages) {
        Tensor[] out = new Tensor[4];
        for (int i = 0; i < 4; i++) {
            out[i] = linear[i].forward(stages[i]);
        }
        return out;
    }

    /** The condition feature from {@link #project}'s maps. */
    public Tensor fuse(Tensor[] projections) {
        return Activations.relu(fuseNorm.forward(fuse.forward(stacked(projections, projections[1].dim(2),
                projections[1].dim(3)))));
    }

    /** The projections resized to h x w and concatenated [c4, c3, c2, c1]: the deepest first, as the release does. */
    public static Tensor stacked(Tensor[] projections, int h, int w) {
        Tensor[] parts = new Tensor[4];
        for (int i = 0; i < 4; i++) {
            Tensor c = projections[i];
            parts[3 - i] = c.dim(2) == h && c.dim(3) == w ? c : Resize.bilinear(c, h, w);
        }
        return Layout.concat(1, parts);
    }
}
