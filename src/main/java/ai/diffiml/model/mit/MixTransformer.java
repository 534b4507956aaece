package ai.diffiml.model.mit;

import ai.diffiml.backend.Device;
import ai.diffiml.model.Taps;
import ai.diffiml.model.TokenMaps;
import ai.diffiml.nn.Container;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.LayerNorm;
import ai.diffiml.nn.Linear;
import ai.diffiml.nn.Module;
import ai.diffiml.nn.ModuleList;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Attention;
import ai.diffiml.ops.Dropout;
import ai.diffiml.tensor.Tensor;

/**
 * SegFormer's Mix Transformer encoder (weight names as HuggingFace's {@code SegformerModel.encoder}). Returns the
 * four stage maps at 1/4, 1/8, 1/16, 1/32 of the input. LayerNorm eps: {@code blockEps} (1e-6 in the original
 * code) for layer_norm_1/2 and the stage norms, {@code embedEps} (1e-5) for patch-embedding and reduction norms.
 */
public final class MixTransformer extends Module {
    private final MitVariant variant;
    private final ModuleList<PatchEmbed> patchEmbeddings = child("patch_embeddings", new ModuleList<>());
    private final ModuleList<ModuleList<Block>> blocks = child("block", new ModuleList<>());
    private final ModuleList<LayerNorm> stageNorms = child("layer_norm", new ModuleList<>());
    /** Standard deviation of the original initialisation of every linear layer. */
    static final double LINEAR_STD = 0.02;
    /** The paper configs' {@code blockEps}: LayerNorm eps of the blocks and stage norms (every family's preset). */
    public static final float PAPER_BLOCK_EPS = 1e-6f;
    /** The paper configs' {@code embedEps}: LayerNorm eps of the patch-embedding and reduction norms. */
    public static final float PAPER_EMBED_EPS = 1e-5f;
    /** The paper configs' stochastic-depth rate while training. */
    public static final double PAPER_DROP_PATH = 0.1;
    private long dropPathSeed;
    private long forwardCount;

    public MixTransformer(Device device, MitVariant variant, float blockEps, float embedEps, double dropPathRate) {
        this.variant = variant;
        int[] dims = variant.dims(), depths = variant.depths();
        int total = variant.totalDepth(), index = 0, in = 3;
        for (int s = 0; s < 4; s++) {
            patchEmbeddings.add(new PatchEmbed(device, in, dims[s], MitVariant.PATCH_KERNELS[s],
                    MitVariant.PATCH_STRIDES[s], embedEps));
            ModuleList<Block> stage = blocks.add(new ModuleList<>());
            for (int j = 0; j < depths[s]; j++, index++) {
                // Stochastic depth grows linearly from 0 to the rate over all blocks, as in the original.
                double rate = total > 1 ? dropPathRate * index / (total - 1) : 0;
                stage.add(new Block(device, dims[s], MitVariant.HEADS[s], MitVariant.SR_RATIOS[s], blockEps, embedEps,
                        rate));
            }
            stageNorms.add(new LayerNorm(device, dims[s], blockEps));
            in = dims[s];
        }
    }

    public MitVariant variant() {
        return variant;
    }

    /** Seeds drop-path; each training forward then draws fresh decisions from (seed, forward count, block). */
    public void seedDropPath(long seed) {
        this.dropPathSeed = seed;
        this.forwardCount = 0;
    }

    /** The number of training forwards so far (saved with checkpoints so resumed runs draw the same masks). */
    public long forwardCount() {
        return forwardCount;
    }

    public void forwardCount(long n) {
        this.forwardCount = n;
    }

    /**
     * The original Mix Transformer initialisation (SegFormer's {@code _init_weights}): linear weights N(0, 0.02),
     * convolutions He-normal over fan-out, biases 0, norms 1/0; the start the paper's "random initialisation"
     * ablation means.
     */
    public void init(Init init) {
        for (PatchEmbed p : patchEmbeddings.items()) {
            p.proj.initFanOut(init);
        }
        for (ModuleList<Block> stage : blocks.items()) {
            for (Block b : stage.items()) {
                b.init(init);
            }
        }
    }

    /** Stage maps [B, C_i, H/2^(i+2), W/2^(i+2)] for an ImageNet-normalised image [B, 3, H, W]. */
    public Tensor[] forward(Tensor image) {
        return forward(image, null);
    }

    /**
     * {@link #forward(Tensor)} with {@code extraEmbedding} [B, C_0, H/4, W/4] (a {@link ai.diffiml.model.NoiseStem}'s;
     * null for none) added to the first patch embedding's conv output before its LayerNorm.
     */
    public Tensor[] forward(Tensor image, Tensor extraEmbedding) {
        Tensor[] stages = new Tensor[4];
        Tensor x = image;
        long call = isTraining() ? forwardCount++ : 0;
        int blockIndex = 0;
        for (int s = 0; s < 4; s++) {
            Tensor map = patchEmbeddings.get(s).proj.forward(x);
            if (s == 0 && extraEmbedding != null) {
                map = Arithmetic.add(map, extraEmbedding);
            }
            int h = map.dim(2), w = map.dim(3);
            Tensor tokens = patchEmbeddings.get(s).layerNorm.forward(TokenMaps.toTokens(map));
            Taps.tap("enc.patch_embed." + s, tokens);
            for (int j = 0; j < blocks.get(s).size(); j++) {
                long seed = dropPathSeed * 0x9E3779B97F4A7C15L + call * 1_000_003L + blockIndex++;
                tokens = blocks.get(s).get(j).forward(tokens, h, w, seed);
                Taps.tap("enc.block." + s + "." + j, tokens);
            }
            stages[s] = TokenMaps.toMap(stageNorms.get(s).forward(tokens), h, w);
            x = stages[s];
        }
        return stages;
    }

    /** Patch embedding: overlapping conv (k7 s4 p3 or k3 s2 p1), then LayerNorm on the tokens. */
    static final class PatchEmbed extends Module {
        final Conv2d proj;
        final LayerNorm layerNorm;

        PatchEmbed(Device device, int in, int out, int kernel, int stride, float eps) {
            proj = child("proj", new Conv2d(device, in, out, kernel, stride, kernel / 2, 1, true));
            layerNorm = child("layer_norm", new LayerNorm(device, out, eps));
        }
    }

    /** x += Attn(LN1(x)); x += MixFFN(LN2(x)), each residual branch under drop-path in training. */
    static final class Block extends Module {
        private final LayerNorm norm1, norm2;
        private final Linear query, key, value, outDense, dense1, dense2;
        private final Conv2d sr, dwconv;
        private final LayerNorm srNorm;
        private final int heads;
        private final double dropPath;

        Block(Device device, int dim, int heads, int srRatio, float blockEps, float embedEps, double dropPath) {
            this.heads = heads;
            this.dropPath = dropPath;
            norm1 = child("layer_norm_1", new LayerNorm(device, dim, blockEps));
            Container attention = child("attention", new Container());
            Container self = attention.add("self", new Container());
            query = self.add("query", new Linear(device, dim, dim, true));
            key = self.add("key", new Linear(device, dim, dim, true));
            value = self.add("value", new Linear(device, dim, dim, true));
            if (srRatio > 1) {
                sr = self.add("sr", new Conv2d(device, dim, dim, srRatio, srRatio, 0, 1, true));
                srNorm = self.add("layer_norm", new LayerNorm(device, dim, embedEps));
            } else {
                sr = null;
                srNorm = null;
            }
            outDense = attention.add("output", new Container()).add("dense", new Linear(device, dim, dim, true));
            norm2 = child("layer_norm_2", new LayerNorm(device, dim, blockEps));
            Container mlp = child("mlp", new Container());
            int hidden = dim * MitVariant.MLP_RATIO;
            dense1 = mlp.add("dense1", new Linear(device, dim, hidden, true));
            dwconv = mlp.add("dwconv", new Container()).add("dwconv",
                    new Conv2d(device, hidden, hidden, 3, 1, 1, hidden, true));
            dense2 = mlp.add("dense2", new Linear(device, hidden, dim, true));
        }

        void init(Init init) {
            for (Linear l : new Linear[] {query, key, value, outDense, dense1, dense2}) {
                l.initNormal(init, LINEAR_STD);
            }
            if (sr != null) {
                sr.initFanOut(init);
            }
            dwconv.initFanOut(init);
        }

        Tensor forward(Tensor x, int h, int w, long seed) {
            Tensor a = attention(norm1.forward(x), h, w);
            x = Arithmetic.add(x, Dropout.dropPath(a, (float) dropPath, isTraining(), seed));
            Tensor hidden = dense1.forward(norm2.forward(x));
            Tensor mixed = TokenMaps.toTokens(dwconv.forward(TokenMaps.toMap(hidden, h, w)));
            Tensor m = dense2.forward(Activations.gelu(mixed));
            return Arithmetic.add(x, Dropout.dropPath(m, (float) dropPath, isTraining(), ~seed));
        }

        private Tensor attention(Tensor x, int h, int w) {
            Tensor q = query.forward(x);
            Tensor kv = x;
            if (sr != null) {
                Tensor reduced = sr.forward(TokenMaps.toMap(x, h, w));
                kv = srNorm.forward(TokenMaps.toTokens(reduced));
            }
            Tensor out = Attention.multiHead(q, key.forward(kv), value.forward(kv), heads);
            return outDense.forward(out);
        }
    }
}
