package ai.diffiml.cli;

import ai.diffiml.backend.Device;
import ai.diffiml.data.AugmentationSettings;
import ai.diffiml.data.BatchSource;
import ai.diffiml.hub.HubFiles;
import ai.diffiml.io.SdVaeWeights;
import ai.diffiml.model.diffiml.LightVae;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.diffiml.SdVaeEncoder;
import ai.diffiml.nn.Init;
import ai.diffiml.train.DataSources;
import ai.diffiml.train.Seeds;
import ai.diffiml.train.VaeTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code train-vae}: stage 1 alone, the LightVAE on the masks and edge maps of a dataset, optionally distilled
 * from the Stable Diffusion VAE ({@link VaeTrainer}). Writes {@code <out>/<name>/light_vae.safetensors} (what
 * {@code train --vae} takes), {@code vae.json}, {@code metrics.jsonl} and {@code curves.png}.
 */
@Command(name = "train-vae", mixinStandardHelpOptions = true,
        description = {"Stage 1: train the LightVAE that encodes masks and edge maps (L1 reconstruction, plus"
                + " beta x MSE to the Stable Diffusion VAE's latent with --teacher), and report its reconstruction"
                + " pixel F1 (the paper: 0.997).",
                "train runs this first by itself when it is given no --vae."})
public final class TrainVaeCommand implements Callable<Integer> {
    @Mixin
    private DeviceOption device;

    @Mixin
    private ThreadsOption threads;

    @Mixin
    private RunOptions run;

    @Option(names = "--resolution", paramLabel = "<px>", defaultValue = "128",
            description = "Map size in pixels (a multiple of 32). Default: ${DEFAULT-VALUE}.")
    private int resolution;

    @Option(names = "--batch", paramLabel = "<n>", defaultValue = "8",
            description = "Samples per batch (each gives a mask and an edge map). Default: ${DEFAULT-VALUE}.")
    private int batch;

    @Option(names = "--epochs", paramLabel = "<n>", defaultValue = "40",
            description = "Epochs (the method: 40). Default: ${DEFAULT-VALUE}.")
    private int epochs;

    @Option(names = "--lr", paramLabel = "<lr>", defaultValue = "1e-4",
            description = "Adam learning rate. Default: ${DEFAULT-VALUE}.")
    private double lr;

    @Option(names = "--beta", paramLabel = "<beta>", defaultValue = "0.01",
            description = "Weight of the distillation term (with --teacher). Default: ${DEFAULT-VALUE}.")
    private double beta;

    @Spec
    private CommandSpec spec;

    private final DataSources sources;

    public TrainVaeCommand() {
        this(DataSources.LOADER);
    }

    /** With the given dataset readers (tests, or a build that wires its own). */
    public TrainVaeCommand(DataSources sources) {
        this.sources = sources;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            TrainingRanges.check(lr, batch, resolution, epochs);
            threads.apply();
            HostHeap.keepFreedMemory();
            Device dev = device.resolve();
            ModelConfig config = ModelConfig.paper().withResolution(resolution);
            VaeTrainer.Settings settings = new VaeTrainer.Settings(epochs, lr, beta);
            Path teacher = HubFiles.local(run.teacher, HubFiles.DIFFUSERS_WEIGHTS); // hf:OWNER/REPO[@REV][:FILE]
            Path data = run.dataOrSynthetic(resolution, spec.commandLine().getOut()); // after the checks above
            VaeTrainer.Result r;
            // masks only: the release's set, whose naive manipulations add rectangle masks to learn
            try (BatchSource train = sources.training(data, resolution, batch, run.seed, AugmentationSettings.paper(),
                    0);
                    BatchSource eval = run.valData == null ? null
                            : sources.validation(run.valData, resolution, batch)) {
                r = stage1(train, eval, config, run.seed, settings, teacher, run.newRunFolder("vae"), dev);
            }
            PrintWriter o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "%-14s %s%n", "weights", r.weights());
            o.printf(Locale.ROOT, "%-14s %d in %.1f s, final loss %.5f%s%n", "steps", r.steps(), r.seconds(),
                    r.finalLoss(), r.teacher() ? " (L1 + distillation)" : " (L1)");
            o.printf(Locale.ROOT, "%-14s %s%n", "reconstruction", r.mask());
            o.printf(Locale.ROOT, "%-14s pixel F1 %.4f%n", "edge maps", r.edge().f1());
            o.flush();
            return 0;
        } catch (IllegalArgumentException | IOException e) {
            return Main.fail(err, e.getMessage(), Main.EXIT_USAGE);
        } catch (IllegalStateException e) {
            return Main.fail(err, e.getMessage(), 1);
        }
    }

    /**
     * Trains a LightVAE of {@code config}'s shape on {@code train} into {@code dir} (see {@link VaeTrainer}),
     * measuring its reconstruction on {@code eval} (null: the training data); the teacher, when
     * {@code teacherWeights} is given, is the SD VAE loaded from it.
     */
    static VaeTrainer.Result stage1(BatchSource train, BatchSource eval, ModelConfig config, long seed,
            VaeTrainer.Settings settings, Path teacherWeights, Path dir, Device dev) throws IOException {
        try (LightVae vae = new LightVae(dev, config.vaeBase(), config.latentChannels());
                SdVaeEncoder t = teacherWeights == null ? null : new SdVaeEncoder(dev)) {
            vae.init(new Init(Seeds.of(seed, Seeds.INIT, 1)));
            if (t != null) {
                SdVaeWeights.load(t, teacherWeights);
            }
            return new VaeTrainer(train, eval, settings, dir, dev).teacher(t).run(vae);
        }
    }
}
