package ai.diffiml.localize;

import ai.diffiml.backend.Device;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.SegFormerCheckpoint;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.segformer.SegFormer;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/** Tiny models, checkpoints and images for the localizer and predict tests (each model call takes milliseconds). */
public final class LocalizeFixtures {
    /** DiffIML at 64 px with narrow widths; 3 steps, 2 members by default in its config. */
    public static final ModelConfig TINY = new ModelConfig("b0", 64, 32, 32, 4, 8, 1e-6f, 1e-5f, 0.0, 1000, 3, 2,
            0.1f, 0.2f, true);
    /** SegFormer at 64 px with a 16-wide head. */
    public static final SegFormer.Config TINY_SEGFORMER = new SegFormer.Config("b0", 64, 16, 1e-6f, 1e-5f, 0.0, 1f);

    private LocalizeFixtures() {}

    /** Fast options for the tiny models: CPU, 3 steps, 2 members, seed 0. */
    public static LocalizerOptions.Builder fast() {
        return LocalizerOptions.builder().device("cpu").steps(3).ensemble(2);
    }

    /** A randomly initialised tiny DiffIML checkpoint at {@code dir}. */
    public static Path diffImlCheckpoint(Path dir, long seed) throws IOException {
        try (DiffIml model = new DiffIml(TINY, Device.CPU).init(seed)) {
            Checkpoint.save(dir, model, null, Checkpoint.Progress.of(0, 0));
        }
        return dir;
    }

    /** A randomly initialised tiny SegFormer checkpoint at {@code dir}. */
    public static Path segFormerCheckpoint(Path dir, long seed) throws IOException {
        try (SegFormer model = new SegFormer(TINY_SEGFORMER, Device.CPU).init(seed)) {
            SegFormerCheckpoint.save(dir, model, null, Checkpoint.Progress.of(0, 0));
        }
        return dir;
    }

    /** A tiny DiffForensics config (MiT-b0, 64 px, decoder width 8). */
    public static final ai.diffiml.model.diffforensics.DiffForensics.Config TINY_DIFFFORENSICS =
            ai.diffiml.model.diffforensics.DiffForensics.Config.paper("b0", 64).withDecoderWidth(8);

    /** A randomly initialised tiny DiffForensics checkpoint (fine-tuning stage) at {@code dir}. */
    public static Path diffForensicsCheckpoint(Path dir, long seed) throws IOException {
        try (ai.diffiml.model.diffforensics.DiffForensics model = new ai.diffiml.model.diffforensics.DiffForensics(
                TINY_DIFFFORENSICS, Device.CPU).init(seed)) {
            ai.diffiml.io.DiffForensicsCheckpoint.save(dir, model, "finetune", null, Checkpoint.Progress.of(0, 0));
        }
        return dir;
    }

    /** An RGB image of seeded noise over a few smooth blobs (so resizing has structure to keep). */
    public static BufferedImage image(int width, int height, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        double cx = r.nextDouble() * width, cy = r.nextDouble() * height;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double d = Math.hypot(x - cx, y - cy) / Math.max(width, height);
                int base = (int) (200 * Math.exp(-4 * d));
                int red = clamp(base + r.nextInt(56)), green = clamp(255 - base + r.nextInt(40) - 20);
                int blue = clamp((x * 255) / width + r.nextInt(30) - 15);
                image.setRGB(x, y, (red << 16) | (green << 8) | blue);
            }
        }
        return image;
    }

    /** {@link #image} written as a PNG file {@code file}. */
    public static Path png(Path file, int width, int height, long seed) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (!ImageIO.write(image(width, height, seed), "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
        return file;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
