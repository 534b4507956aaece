package ai.diffiml.model;

import ai.diffiml.ops.Layout;
import ai.diffiml.tensor.Tensor;

/** Conversions between token sequences [B, H*W, C] and feature maps [B, C, H, W]. */
public final class TokenMaps {
    private TokenMaps() {}

    public static Tensor toTokens(Tensor map) {
        int b = map.dim(0), c = map.dim(1), h = map.dim(2), w = map.dim(3);
        return Layout.reshape(Layout.permute(map, 0, 2, 3, 1), b, h * w, c);
    }

    public static Tensor toMap(Tensor tokens, int h, int w) {
        int b = tokens.dim(0), c = tokens.dim(2);
        return Layout.permute(Layout.reshape(tokens, b, h, w, c), 0, 3, 1, 2);
    }
}
