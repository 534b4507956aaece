package ai.diffiml.model.diffiml;

import ai.diffiml.backend.Device;
import ai.diffiml.model.TokenMaps;
import ai.diffiml.nn.GroupNorm;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Linear;
import ai.diffiml.nn.Module;
import ai.diffiml.nn.ModuleList;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Attention;
import ai.diffiml.tensor.Tensor;

/**
 * diffiml's (and diffusers') mid-block attention on a feature map: GroupNorm, multi-head self-attention over all
 * H*W positions with q/k/v/out linear projections (bias), plus the residual. Names: {@code group_norm},
 * {@code to_q}, {@code to_k}, {@code to_v}, {@code to_out.0}. The UNet uses 16 heads of 8 dims, the SD VAE one
 * head of 512.
 */
final class SpatialSelfAttention extends Module {
    private final GroupNorm norm;
    private final Linear toQ, toK, toV, toOut;
    private final int heads;

    SpatialSelfAttention(Device device, int channels, int heads, int groups, float eps) {
        if (channels % heads != 0) {
            throw new IllegalArgumentException("attention: " + channels + " channels do not split into " + heads
                    + " heads");
        }
        this.heads = heads;
        norm = child("group_norm", new GroupNorm(device, groups, channels, eps));
        toQ = child("to_q", new Linear(device, channels, channels, true));
        toK = child("to_k", new Linear(device, channels, channels, true));
        toV = child("to_v", new Linear(device, channels, channels, true));
        toOut = child("to_out", new ModuleList<Linear>()).add(new Linear(device, channels, channels, true));
    }

    void init(Init init) {
        for (Linear l : new Linear[] {toQ, toK, toV, toOut}) {
            l.init(init);
        }
    }

    /** x + out(attention(GN(x))) on [B, C, H, W]. */
    Tensor forward(Tensor x) {
        int h = x.dim(2), w = x.dim(3);
        Tensor tokens = TokenMaps.toTokens(norm.forward(x));
        Tensor a = Attention.multiHead(toQ.forward(tokens), toK.forward(tokens), toV.forward(tokens), heads);
        return Arithmetic.add(TokenMaps.toMap(toOut.forward(a), h, w), x);
    }
}
