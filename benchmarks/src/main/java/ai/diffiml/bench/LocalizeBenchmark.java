package ai.diffiml.bench;

import ai.diffiml.backend.Device;
import ai.diffiml.localize.Localization;
import ai.diffiml.localize.Localizer;
import ai.diffiml.localize.LocalizerOptions;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.diffiml.ModelConfigs;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The end-to-end inference path of the {@code bench} command: {@link Localizer#localize} on one image of the
 * model's resolution (the paper's model by default: MiT-b3 at 512x512, random weights), 8 DDIM steps, ensemble
 * {@code members}, batch 1, uncertainty off (the method's single decode). One operation is one image, from the
 * decoded {@link BufferedImage} to the probability map at its size; on CUDA the localizer synchronises the device
 * at every stage boundary, so the time covers the queued kernels.
 *
 * <p>An operation takes tens of seconds to minutes on a small CPU, so this class measures single shots: 1 warmup
 * and 3 measured operations per parameter set (override with {@code -wi} and {@code -i}). For a quick look use a
 * smaller model: {@code -p model=b0 -p resolution=256}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class LocalizeBenchmark extends Bench {
    @Param({"cpu", "cuda"})
    public String device;

    /** A model preset (paper, b0..b5) or a JSON model config. */
    @Param({"paper"})
    public String model;

    /** Input side in pixels; 0 keeps the model's (512 for paper). */
    @Param({"0"})
    public int resolution;

    @Param({"1", "5"})
    public int members;

    @Param({"8"})
    public int steps;

    private Localizer localizer;
    private BufferedImage image;

    @Setup(Level.Trial)
    public void setup() {
        Device dev = device(device);
        ModelConfig config = ModelConfigs.resolve(model);
        if (resolution > 0) {
            config = config.withResolution(resolution);
        }
        LocalizerOptions options = LocalizerOptions.builder().steps(steps).ensemble(members).seed(0)
                .uncertainty(false).build();
        localizer = Localizer.of(new DiffIml(config, dev).init(0), options);
        int r = config.resolution();
        image = new BufferedImage(r, r, BufferedImage.TYPE_3BYTE_BGR);
        SplittableRandom random = new SplittableRandom(1);
        for (int y = 0; y < r; y++) {
            for (int x = 0; x < r; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
    }

    @Benchmark
    public Localization localize() throws IOException {
        return localizer.localize(image);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (localizer != null) {
            localizer.close();
        }
    }
}
