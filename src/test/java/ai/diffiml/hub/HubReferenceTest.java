package ai.diffiml.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubReferenceTest {
    @TempDir
    Path dir;

    @Test
    void parsesRepoRevisionAndFile() {
        assertEquals(new HubReference("nvidia/mit-b3", "main", null), HubReference.parse("hf:nvidia/mit-b3"));
        assertEquals(new HubReference("stabilityai/sd-vae-ft-mse", "v1.0", "vae/diffusion_pytorch_model.safetensors"),
                HubReference.parse("hf:stabilityai/sd-vae-ft-mse@v1.0:vae/diffusion_pytorch_model.safetensors"));
        assertEquals(new HubReference("gpt2", "main", "model.safetensors"), HubReference.parse("hf:gpt2:model.safetensors"));
        assertEquals("hf:a/b@dev:x.bin", HubReference.parse("hf:a/b@dev:x.bin").toString());
        assertTrue(HubReference.parse("hf:a/b@0123456789abcdef0123456789abcdef01234567").revisionIsCommit());
        assertFalse(HubReference.isReference("runs/x/model.safetensors"));
    }

    @Test
    void malformedReferencesAreOneLineErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HubReference.parse("hf:a/b/c"));
        assertEquals("hf:a/b/c: 'a/b/c' is not a Hub repository id (expected OWNER/REPO); the form is"
                + " hf:OWNER/REPO[@REVISION][:FILE]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HubReference.parse("hf:a/b@:f"));
        assertThrows(IllegalArgumentException.class, () -> HubReference.parse("hf:a/b:../../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> HubReference.parse("hf:a/b:/abs"));
    }

    @Test
    void revisionAndFileAreEncodedLikeHuggingFaceHub() {
        assertEquals("refs%2Fpr%2F1", UrlPaths.segment("refs/pr/1"));
        assertEquals("vae/diffusion%20model.bin", UrlPaths.path("vae/diffusion model.bin"));
    }

    @Test
    void cacheFolderAndTokenFollowHuggingFaceHubsVariables() throws Exception {
        Map<String, String> env = new HashMap<>();
        String home = System.getProperty("user.home");
        assertEquals(Path.of(home, ".cache/huggingface/hub"), HubSettings.from(env::get).cache());
        env.put("XDG_CACHE_HOME", dir.resolve("xdg").toString());
        assertEquals(dir.resolve("xdg/huggingface/hub"), HubSettings.from(env::get).cache());
        env.put("HF_HOME", dir.resolve("hf").toString());
        assertEquals(dir.resolve("hf/hub"), HubSettings.from(env::get).cache());
        Files.createDirectories(dir.resolve("hf"));
        Files.writeString(dir.resolve("hf/token"), "hf_fromfile\n");
        assertEquals("hf_fromfile", HubSettings.from(env::get).token(), "huggingface-cli login's token file");
        env.put("HF_TOKEN", "hf_fromenv");
        assertEquals("hf_fromenv", HubSettings.from(env::get).token());
        env.put("HF_HUB_CACHE", dir.resolve("c").toString());
        assertEquals(dir.resolve("c"), HubSettings.from(env::get).cache());
        assertEquals("https://huggingface.co", HubSettings.from(env::get).endpoint().toString());
        assertFalse(HubSettings.from(env::get).offline());
        env.put("HF_HUB_OFFLINE", "1");
        env.put("HF_ENDPOINT", "http://127.0.0.1:9/");
        HubSettings s = HubSettings.from(env::get);
        assertTrue(s.offline());
        assertEquals("http://127.0.0.1:9", s.endpoint().toString());
        assertFalse(s.toString().contains("hf_fromenv"), "the token is never printed");
        env.clear();
        env.put("HF_HOME", dir.resolve("none").toString());
        assertNull(HubSettings.from(env::get).token());
    }
}
