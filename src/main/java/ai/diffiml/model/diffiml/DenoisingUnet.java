package ai.diffiml.model.diffiml;

import ai.diffiml.backend.Device;
import ai.diffiml.model.Taps;
import ai.diffiml.model.TimeEmbeddings;
import ai.diffiml.model.TimeResBlock;
import ai.diffiml.nn.Container;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.GroupNorm;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Linear;
import ai.diffiml.nn.Module;
import ai.diffiml.nn.ModuleList;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.CapturedCall;
import ai.diffiml.ops.Layout;
import ai.diffiml.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The release's conditional denoiser: a one-level UNet of width {@code ch} that predicts the clean latents
 * [z_mask | z_edge] from noisy ones. Weight names follow diffusers' UNet2DModel, plus {@code concat} (the 3x3 conv
 * that injects the condition after conv_in). Mid-block attention: {@code ch / 8} heads of 8 dims.

 */
public final class DenoisingUnet extends Module {
    /** Width of the sinusoidal timestep embedding ({@link TimeEmbeddings#DIM}). */
    public static final int TIME_DIM = TimeEmbeddings.DIM;
    public static final int GROUPS = 32;
    public static final float EPS = 1e-5f;
    /** Mid-block attention head size (heads = width / 8). */
    public static final int HEAD_DIM = 8;

    private final int ch;
    private final Linear time1, time2;
    private final Conv2d convIn, concat, convOut;
    private final ModuleList<TimeResBlock> down, midResnets, up;
    private final SpatialSelfAttention midAttention;
    private final GroupNorm normOut;
    /** When set (CUDA inference), the calls after the time embedding replay a CUDA graph per shape. */
    private CapturedCall graphed;

    public DenoisingUnet(Device device, int latentChannels, int ch, int condChannels) {
        this.ch = ch;
        int temb = 4 * ch;
        Container timeEmbedding = child("time_embedding", new Container());
        time1 = timeEmbedding.add("linear_1", new Linear(device, TIME_DIM, temb, true));
        time2 = timeEmbedding.add("linear_2", new Linear(device, temb, temb, true));
        convIn = child("conv_in", new Conv2d(device, 2 * latentChannels, ch, 3, 1, 1, 1, true));
        concat = child("concat", new Conv2d(device, ch + condChannels, ch, 3, 1, 1, 1, false));
        down = child("down_blocks", new Container()).add("0", new Container()).add("resnets", new ModuleList<>());
        for (int i = 0; i < 2; i++) {
            down.add(new TimeResBlock(device, ch, ch, temb, GROUPS, GROUPS, EPS));
        }
        Container mid = child("mid_block", new Container());
        midAttention = mid.add("attentions", new ModuleList<SpatialSelfAttention>())
                .add(new SpatialSelfAttention(device, ch, ch / HEAD_DIM, GROUPS, EPS));
        midResnets = mid.add("resnets", new ModuleList<>());
        for (int i = 0; i < 2; i++) {
            midResnets.add(new TimeResBlock(device, ch, ch, temb, GROUPS, GROUPS, EPS));
        }
        up = child("up_blocks", new Container()).add("0", new Container()).add("resnets", new ModuleList<>());
        for (int i = 0; i < 3; i++) {
            up.add(new TimeResBlock(device, 2 * ch, ch, temb, GROUPS, GROUPS, EPS));
        }
        normOut = child("conv_norm_out", new GroupNorm(device, GROUPS, ch, EPS));
        convOut = child("conv_out", new Conv2d(device, ch, 2 * latentChannels, 3, 1, 1, 1, true));
    }

    public void init(Init init) {
        time1.init(init);
        time2.init(init);
        convIn.init(init);
        concat.init(init);
        convOut.init(init);
        for (ModuleList<TimeResBlock> list : java.util.List.of(down, midResnets, up)) {
            for (TimeResBlock r : list.items()) {
                r.init(init);
            }
        }
        midAttention.init(init);
    }

    /** Zero output conv: the x0-prediction starts at exactly its anchor ({@link DiffIml#anchor}). */
    public void zeroOutput() {
        convOut.namedParameters().values().forEach(p -> p.fill(0f));
    }

    /** Whether the output conv is all zeros (its state after {@link #zeroOutput}, before any update), so the UNet
     * returns exactly 0 for any finite input. */
    public boolean outputIsZero() {
        for (ai.diffiml.tensor.Tensor p : convOut.namedParameters().values()) {
            for (float v : p.toArray()) {
                if (v != 0f) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The time-embedding MLP output [B, 4*ch]. */
    public Tensor timeEmbedding(int[] t, Device device) {
        Tensor s = Tensor.of(device, TimeEmbeddings.sinusoid(t), t.length, TIME_DIM);
        return time2.forward(Activations.silu(time1.forward(s)));
    }

    /**
     * Replays each CUDA inference call from a CUDA graph captured once per input shape (see {@link CapturedCall});
     * the time embedding, whose timesteps come from the host, stays outside the graph. Off by default; a no-op on
     * the CPU and while gradients are recorded. Status: compiled, not yet run on a GPU.
     */
    public synchronized void useCudaGraphs(boolean on) {
        if (on && graphed == null) {
            graphed = new CapturedCall("unet", in -> forward(in[0], in[1], in[2]));
        } else if (!on && graphed != null) {
            graphed.close();
            graphed = null;
        }
    }

    /** The CUDA graphs captured so far (0 when {@link #useCudaGraphs} is off). */
    public synchronized int cudaGraphs() {
        return graphed == null ? 0 : graphed.graphs();
    }

    /** x0-prediction [B, 2*latent, h, w] from noisy latents y_t, timesteps t (one per sample), condition F. */
    public Tensor forward(Tensor yT, int[] t, Tensor cond) {
        Tensor temb = timeEmbedding(t, yT.device());
        Taps.tap("unet.temb", temb);
        CapturedCall g = graphed;
        return g != null ? g.call(yT, temb, cond) : forward(yT, temb, cond);
    }

    /** The same from the time embedding temb [B, 4*ch] (the output of {@link #timeEmbedding}). */
    public Tensor forward(Tensor yT, Tensor temb, Tensor cond) {
        Tensor h = concat.forward(Layout.concat(1, convIn.forward(yT), cond));
        Deque<Tensor> skips = new ArrayDeque<>();
        skips.push(h);
        for (TimeResBlock r : down.items()) {
            h = r.forward(h, temb);
            skips.push(h);
        }
        h = midResnets.get(0).forward(h, temb);
        Taps.tap("unet.mid_attn_in", h);
        h = midAttention.forward(h);
        Taps.tap("unet.mid_attn_out", h);
        h = midResnets.get(1).forward(h, temb);
        for (TimeResBlock r : up.items()) {
            h = r.forward(Layout.concat(1, h, skips.pop()), temb);
        }
        return convOut.forward(Activations.silu(normOut.forward(h)));
    }

    @Override
    public void close() {
        useCudaGraphs(false);
        super.close();
    }
}
