package ai.diffiml.model.diffiml;

import ai.diffiml.backend.Device;
import ai.diffiml.nn.BatchNorm2d;
import ai.diffiml.nn.Container;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.ConvTranspose2d;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Module;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.tensor.Tensor;

/**
 * The release's LightVAE: a conv-only autoencoder between a 1-channel map in [-1, 1] and a 4-channel latent at
 * 1/8 resolution, latents scaled by {@code latentScale} (the SD VAE's 0.18215 unless calibrated: see
 * {@link ModelConfig#latentScale}; the factor cancels between encode and decode). Children are named by their index in the release's nn.Sequential
 * (ReLUs hold no weights, so indices 2, 5, 8, 11 are absent).
 */
public final class LightVae extends Module {
    public static final float LATENT_SCALE = 0.18215f;

    private final Conv2d[] encConv = new Conv2d[3];
    private final BatchNorm2d[] encNorm = new BatchNorm2d[3];
    private final Conv2d encOut;
    private final Conv2d decIn;
    private final BatchNorm2d[] decNorm = new BatchNorm2d[4];
    private final ConvTranspose2d[] decUp = new ConvTranspose2d[3];
    private final Conv2d decOut;
    private final float latentScale;

    public LightVae(Device device, int base, int latentChannels) {
        this(device, base, latentChannels, LATENT_SCALE);
    }

    public LightVae(Device device, int base, int latentChannels, float latentScale) {
        if (!(latentScale > 0) || !Float.isFinite(latentScale)) {
            throw new IllegalArgumentException("LightVae: latent scale must be > 0, got " + latentScale);
        }
        this.latentScale = latentScale;
        Container encoder = child("encoder", new Container());
        int[] widths = {base, 2 * base, 4 * base};
        int in = 1;
        for (int i = 0; i < 3; i++) {
            encConv[i] = encoder.add(Integer.toString(3 * i), new Conv2d(device, in, widths[i], 3, 2, 1, 1, false));
            encNorm[i] = encoder.add(Integer.toString(3 * i + 1), new BatchNorm2d(device, widths[i]));
            in = widths[i];
        }
        encOut = encoder.add("9", new Conv2d(device, in, latentChannels, 1, 1, 0, 1, true));

        Container decoder = child("decoder", new Container());
        decIn = decoder.add("0", new Conv2d(device, latentChannels, 4 * base, 1, 1, 0, 1, true));
        int[] ups = {4 * base, 2 * base, base, base};
        for (int i = 0; i < 3; i++) {
            decNorm[i] = decoder.add(Integer.toString(3 * i + 1), new BatchNorm2d(device, ups[i]));
            decUp[i] = decoder.add(Integer.toString(3 * i + 3),
                    new ConvTranspose2d(device, ups[i], ups[i + 1], 3, 2, 1, 1, false));
        }
        decNorm[3] = decoder.add("10", new BatchNorm2d(device, base));
        decOut = decoder.add("12", new Conv2d(device, base, 1, 3, 1, 1, 1, true));
    }

    public void init(Init init) {
        for (Conv2d c : encConv) {
            c.init(init);
        }
        encOut.init(init);
        decIn.init(init);
        for (ConvTranspose2d c : decUp) {
            c.init(init);
        }
        decOut.init(init);
    }

    public float latentScale() {
        return latentScale;
    }

    /** Scaled latent [B, 4, H/8, W/8] of a map already in [-1, 1] ([B, 1, H, W]). */
    public Tensor encode(Tensor map) {
        return Arithmetic.scale(encodeUnscaled(map), latentScale);
    }

    /** The encoder's output before the latent scale (what calibration measures). */
    public Tensor encodeUnscaled(Tensor map) {
        Tensor x = map;
        for (int i = 0; i < 3; i++) {
            x = Activations.relu(encNorm[i].forward(encConv[i].forward(x)));
        }
        return encOut.forward(x);
    }

    /** Logits [B, 1, H, W] of the map a scaled latent stands for. */
    public Tensor decode(Tensor latent) {
        Tensor x = decIn.forward(Arithmetic.scale(latent, 1f / latentScale));
        for (int i = 0; i < 3; i++) {
            x = decUp[i].forward(Activations.relu(decNorm[i].forward(x)));
        }
        return decOut.forward(Activations.relu(decNorm[3].forward(x)));
    }
}
