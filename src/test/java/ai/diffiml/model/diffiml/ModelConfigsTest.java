package ai.diffiml.model.diffiml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Presets and JSON model configs as {@code info --model} takes them. */
class ModelConfigsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ModelConfig OTHER = new ModelConfig("b1", 256, 64, 96, 4, 16, 1e-6f, 1e-5f, 0.05, 500, 4, 3, 0.2f,
            0.3f, false);

    @Test
    void presetsArePaperAndItsVariants() {
        assertEquals(ModelConfig.paper(), ModelConfigs.resolve("paper"));
        assertEquals(ModelConfig.paper(), ModelConfigs.resolve("PAPER"));
        for (int i = 0; i <= 5; i++) {
            ModelConfig c = ModelConfigs.resolve("b" + i);
            assertEquals(ModelConfig.paper().withVariant("b" + i), c);
            assertEquals("b" + i, c.variant());
        }
        assertFalse(ModelConfigs.preset("b6").isPresent());
        assertFalse(ModelConfigs.preset("paper.json").isPresent());
    }

    @Test
    void readsAConfigObjectAWrappedOneAndACheckpointFolder(@TempDir Path dir) throws Exception {
        Path plain = dir.resolve("config.json");
        Files.writeString(plain, JSON.writeValueAsString(OTHER));
        assertEquals(OTHER, ModelConfigs.resolve(plain.toString()));

        Path folder = Files.createDirectory(dir.resolve("ckpt"));
        ObjectNode wrapped = JSON.createObjectNode();
        wrapped.put("step", 1200);
        wrapped.set("config", JSON.valueToTree(OTHER));
        wrapped.putObject("metrics").put("loss", 0.01);
        Files.writeString(folder.resolve("checkpoint.json"), JSON.writeValueAsString(wrapped));
        assertEquals(OTHER, ModelConfigs.read(folder.resolve("checkpoint.json")));
        assertEquals(OTHER, ModelConfigs.resolve(folder.toString()));
    }

    @Test
    void configsWrittenBeforeTheLearnabilitySettingsReadAsThePapersModel(@TempDir Path dir) throws Exception {
        ObjectNode old = JSON.valueToTree(OTHER);
        for (String added : ModelConfig.ADDED_COMPONENTS.keySet()) {
            old.remove(added);
        }
        Path file = dir.resolve("old.json");
        Files.writeString(file, JSON.writeValueAsString(old));
        ModelConfig c = ModelConfigs.read(file);
        assertEquals(OTHER, c);
        assertEquals("none", c.noiseStem());
        assertEquals(0f, c.auxWeight());
        assertEquals(LightVae.LATENT_SCALE, c.latentScale());
        assertFalse(c.auxAnchor());
        assertEquals(AnchorForm.GATED, c.anchorFormKind()); // what anchored files of that time meant
        assertFalse(c.auxDetail());
        ModelConfig learnt = OTHER.withTraining("srm+bayar", 0.5f, 3f, 0.6f, false).withAnchor(true, AnchorForm.RESIDUAL, true)
                .withLatentScale(0.8f);
        Path round = dir.resolve("new.json");
        Files.writeString(round, JSON.writeValueAsString(learnt));
        assertEquals(learnt, ModelConfigs.read(round));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OTHER.withTraining("srm", 0f, 1f, 0.5f, false).withAnchor(true, AnchorForm.RESIDUAL, false));
        assertTrue(e.getMessage().contains("auxAnchor needs the auxiliary head"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> OTHER.withTraining("none", 1f, 1f, 0.5f, false).withAnchor(true, AnchorForm.RESIDUAL, true));
        assertTrue(e.getMessage().contains("auxDetail needs"), e.getMessage());
    }

    @Test
    void badFilesAreOneLineNamingTheFileAndTheProblem(@TempDir Path dir) throws Exception {
        assertProblem(dir.resolve("missing.json"), "no such file");
        assertProblem(dir, "no such file"); // a folder without checkpoint.json

        Path notJson = dir.resolve("a.json");
        Files.writeString(notJson, "{\"variant\": ");
        assertProblem(notJson, "not valid JSON");

        Path array = dir.resolve("b.json");
        Files.writeString(array, "[1, 2]");
        assertProblem(array, "expected a JSON object");

        assertProblem(edited(dir, "c.json", n -> n.remove(List.of("sampleSteps", "vaeBase"))),
                "missing vaeBase, sampleSteps;");
        assertProblem(edited(dir, "d.json", n -> n.put("widht", 3)), "unknown widht;");
        assertProblem(edited(dir, "e.json", n -> n.put("resolution", 500)),
                "resolution must be a positive multiple of 32, got 500");
        assertProblem(edited(dir, "f.json", n -> n.put("variant", "b9")), "unknown Mix Transformer variant 'b9'");
        assertProblem(edited(dir, "g.json", n -> n.put("resolution", 256.5)), "field 'resolution'");

        Path h = dir.resolve("h.json");
        Files.writeString(h, "{\"config\": 3, \"step\": 1}");
        assertProblem(h, "'config' field is not an object");
    }

    /** Writes OTHER as JSON to {@code dir/name} after {@code edit}. */
    private static Path edited(Path dir, String name, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode node = JSON.valueToTree(OTHER);
        edit.accept(node);
        Path file = dir.resolve(name);
        Files.writeString(file, JSON.writeValueAsString(node));
        return file;
    }

    private static void assertProblem(Path path, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelConfigs.resolve(path.toString()));
        String m = e.getMessage();
        assertTrue(m.contains(expected), () -> "expected '" + expected + "' in: " + m);
        assertTrue(m.contains(path.getFileName().toString()), () -> "names the file: " + m);
        assertFalse(m.contains("\n") || m.contains("\r"), () -> "one line: " + m);
    }
}
