package ai.diffiml.model.diffiml;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.ModuleWeights;
import ai.diffiml.io.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The reference tensors of {@code ../shared/parity/} (an independent PyTorch implementation: MiT-b0, 128 px,
 * real UNet and LightVAE widths) and a model built from its weights.
 */
final class ParityFixture {
    static final Path DIR = ai.diffiml.testing.SharedData.parityDir();
    static final ModelConfig CONFIG = new ModelConfig("b0", 128, 128, 128, 4, 32, 1e-6f, 1e-5f, 0.0, 1000, 8, 2,
            0.1f, 0.2f, true);

    final Map<String, LoadedTensor> weights;
    final Map<String, LoadedTensor> io;
    final Map<String, LoadedTensor> grads;

    private ParityFixture() throws IOException {
        weights = Safetensors.read(DIR.resolve("diffiml_b0_128_weights.safetensors")).tensors();
        io = Safetensors.read(DIR.resolve("diffiml_b0_128_io.safetensors")).tensors();
        grads = Safetensors.read(DIR.resolve("diffiml_b0_128_grads.safetensors")).tensors();
    }

    private static ParityFixture cached;

    static synchronized ParityFixture get() throws IOException {
        assumeTrue(DIR != null, "no parity reference in ../shared/parity");
        if (cached == null) {
            cached = new ParityFixture();
        }
        return cached;
    }

    /** A model on {@code device} holding the reference weights, in eval mode. */
    DiffIml model(Device device) throws IOException {
        DiffIml m = new DiffIml(CONFIG, device);
        ModuleWeights.load(m, weights, DIR.resolve("diffiml_b0_128_weights.safetensors"));
        m.train(false);
        return m;
    }

    float[] f(String name) {
        LoadedTensor t = io.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no reference tensor " + name);
        }
        return t.toFloats();
    }

    int[] shape(String name) {
        return io.get(name).shape();
    }

    int scalarInt(String name) {
        return (int) io.get(name).longs()[0];
    }
}
