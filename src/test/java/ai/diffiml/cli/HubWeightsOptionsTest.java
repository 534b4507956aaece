package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.hub.FakeHub;
import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.Safetensors;
import ai.diffiml.model.mit.MitVariant;
import ai.diffiml.model.mit.MixTransformer;
import ai.diffiml.train.RunConfig;
import ai.diffiml.train.RunFolder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code train --encoder-weights hf:...} and {@code train-vae --teacher hf:...} go through the Hub cache: against
 * {@link FakeHub} on 127.0.0.1, reached through the {@code HF_ENDPOINT} / {@code HF_HUB_CACHE} system properties
 * ({@code ai.diffiml.hub.HubSettings#system}).
 */
class HubWeightsOptionsTest {
    private static final List<String> PROPERTIES = List.of("HF_ENDPOINT", "HF_HUB_CACHE", "HF_HUB_OFFLINE",
            "HF_TOKEN");
    @TempDir
    Path dir;
    private FakeHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        System.setProperty("HF_ENDPOINT", hub.endpoint().toString());
        System.setProperty("HF_HUB_CACHE", dir.resolve("hf-cache").toString());
        System.setProperty("HF_TOKEN", "");
        System.setProperty("HF_HUB_OFFLINE", "0");
    }

    @AfterEach
    void stop() {
        PROPERTIES.forEach(System::clearProperty);
        hub.close();
    }

    /** A MiT-b0 in the HuggingFace layout (what nvidia/mit-b0's model.safetensors holds), random values. */
    private byte[] huggingFaceMitB0() throws Exception {
        List<LoadedTensor> tensors = new ArrayList<>();
        Random r = new Random(7);
        try (MixTransformer m = new MixTransformer(Device.CPU, MitVariant.B0, 1e-6f, 1e-5f, 0)) {
            m.stateDict().forEach((name, t) -> {
                float[] v = new float[Math.toIntExact(t.numel())];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (r.nextFloat() - 0.5f) * 0.1f;
                }
                tensors.add(LoadedTensor.ofFloats("segformer.encoder." + name, t.shape(), v));
            });
        }
        Path f = dir.resolve("mit-b0.safetensors");
        Safetensors.write(f, tensors);
        return Files.readAllBytes(f);
    }

    private Run run(String... args) {
        TrainCommandTest.Synthetic data = new TrainCommandTest.Synthetic();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == TrainCommand.class) {
                    return cls.cast(new TrainCommand(data));
                }
                if (cls == TrainVaeCommand.class) {
                    return cls.cast(new TrainVaeCommand(data));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        };
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine(factory).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private String[] train(String name, String weights) {
        return new String[] {"train", "--data", dir.resolve("train").toString(), "--out",
            dir.resolve("runs").toString(), "--name", name, "--head", "discriminative", "--variant", "b0",
            "--resolution", "32", "--batch", "2", "--epochs", "1", "--device", "cpu", "--encoder-weights", weights};
    }

    @Test
    void trainEncoderWeightsFromTheHubAreDownloadedOnceAndRecordedAsTheCachedFile() throws Exception {
        hub.put("nvidia/mit-b0", "model.safetensors", huggingFaceMitB0(), true)
                .put("nvidia/mit-b0", "config.json", "{}".getBytes(StandardCharsets.UTF_8), false);
        Run r = run(train("hub", "hf:nvidia/mit-b0"));
        assertEquals(0, r.exit(), r::toString);
        Path cached = dir.resolve("hf-cache/models--nvidia--mit-b0/snapshots/" + FakeHub.COMMIT
                + "/model.safetensors");
        RunConfig c = RunConfig.read(new RunFolder(dir.resolve("runs/hub")).config());
        assertEquals(cached.toString(), c.encoderWeights(), "the run records the file it started from");
        assertEquals(1, hub.requests().stream().filter(q -> q.startsWith("GET /cdn/")).count());
        // again, offline, into the same run folder: the weights come from the cache (no request), and the run is
        // then refused for its folder, which is checked after the weights are loaded
        System.setProperty("HF_HUB_OFFLINE", "1");
        int requests = hub.requests().size();
        CliExpectations.assertOneLineError(run(train("hub", "hf:nvidia/mit-b0")), "already exists");
        assertEquals(requests, hub.requests().size(), "HF_HUB_OFFLINE=1: no request");
    }

    @Test
    void hubFailuresAreOneLineUsageErrorsBeforeAnyRunFolder() {
        CliExpectations.assertOneLineError(run(train("nope", "hf:nvidia/mit-b9")), "hf:nvidia/mit-b9:model.safetensors:"
                + " the repository was not found, or it is private or gated: if you have access, set HF_TOKEN");
        assertFalse(Files.exists(dir.resolve("runs/nope")), "no run folder for a run that cannot start");
        CliExpectations.assertOneLineError(run(train("bad", "hf:not a repo")), "hf:not a repo: 'not a repo' is not a"
                + " Hub repository id");
    }

    @Test
    void trainVaeTeacherTakesTheDiffusersFileOfTheRepository() throws Exception {
        hub.put("stabilityai/sd-vae-ft-mse", "diffusion_pytorch_model.safetensors",
                "not a safetensors file".getBytes(StandardCharsets.UTF_8), true);
        Run r = run("train-vae", "--data", dir.resolve("train").toString(), "--out", dir.toString(), "--name", "v",
                "--resolution", "32", "--batch", "2", "--epochs", "1", "--device", "cpu", "--teacher",
                "hf:stabilityai/sd-vae-ft-mse");
        // the file is fetched, then refused by the weight reader, which names the cached file
        String cached = dir.resolve("hf-cache/models--stabilityai--sd-vae-ft-mse/snapshots/" + FakeHub.COMMIT
                + "/diffusion_pytorch_model.safetensors").toString();
        CliExpectations.assertOneLineError(r, cached);
        assertTrue(hub.requests().contains("HEAD /stabilityai/sd-vae-ft-mse/resolve/main/"
                + "diffusion_pytorch_model.safetensors"), hub.requests()::toString);
    }
}
