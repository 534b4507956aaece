package ai.diffiml.model;

import ai.diffiml.backend.Device;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.GroupNorm;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Linear;
import ai.diffiml.nn.Module;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.tensor.Tensor;

/**
 * The time-conditioned residual block of the diffusion models (DiffIML's UNet, DiffForensics' decoder):
 * GN -> SiLU -> conv3x3 -> + Linear(SiLU(temb)) -> GN -> SiLU -> conv3x3, plus a 1x1 conv shortcut where the widths
 * differ. Weight names as diffusers': {@code norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut}.
 */
public final class TimeResBlock extends Module {
    private final GroupNorm norm1, norm2;
    private final Conv2d conv1, conv2, shortcut;
    private final Linear timeProj;

    /**
     * @param groupsIn GroupNorm groups of the input norm (must divide {@code in})
     * @param groupsOut GroupNorm groups of the second norm (must divide {@code out})
     */
    public TimeResBlock(Device device, int in, int out, int temb, int groupsIn, int groupsOut, float eps) {
        norm1 = child("norm1", new GroupNorm(device, groupsIn, in, eps));
        conv1 = child("conv1", new Conv2d(device, in, out, 3, 1, 1, 1, true));
        timeProj = child("time_emb_proj", new Linear(device, temb, out, true));
        norm2 = child("norm2", new GroupNorm(device, groupsOut, out, eps));
        conv2 = child("conv2", new Conv2d(device, out, out, 3, 1, 1, 1, true));
        shortcut = in != out ? child("conv_shortcut", new Conv2d(device, in, out, 1, 1, 0, 1, true)) : null;
    }

    /** The convolutions and the time projection, in that order (norms start at weight 1, bias 0). */
    public void init(Init init) {
        conv1.init(init);
        conv2.init(init);
        timeProj.init(init);
        if (shortcut != null) {
            shortcut.init(init);
        }
    }

    public Tensor forward(Tensor x, Tensor temb) {
        Tensor h = conv1.forward(Activations.silu(norm1.forward(x)));
        h = Arithmetic.addLeading(h, timeProj.forward(Activations.silu(temb)), 2);
        h = conv2.forward(Activations.silu(norm2.forward(h)));
        return Arithmetic.add(shortcut != null ? shortcut.forward(x) : x, h);
    }
}
