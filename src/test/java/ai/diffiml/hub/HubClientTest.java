package ai.diffiml.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link HubClient} against {@link FakeHub} on 127.0.0.1: the real Hub is never contacted. */
class HubClientTest {
    private static final String REPO = "nvidia/mit-b0";
    @TempDir
    Path cache;
    private FakeHub hub;
    private final List<String> notes = new ArrayList<>();
    private final byte[] weights = bytes(300_000, 1);
    private final byte[] config = "{\"model_type\": \"segformer\"}\n".getBytes(StandardCharsets.UTF_8);

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub().put(REPO, "model.safetensors", weights, true).put(REPO, "config.json", config, false);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private HubSettings settings() {
        return new HubSettings(hub.endpoint(), cache, null, false);
    }

    private HubClient client(HubSettings s) {
        return new HubClient(s, new HubClient.Listener() {
            @Override
            public void note(String message) {
                notes.add(message);
            }
        });
    }

    private Path repoFolder() {
        return cache.resolve("models--nvidia--mit-b0");
    }

    private long gets(String pathPart) {
        return hub.requests().stream().filter(r -> r.startsWith("GET ") && r.contains(pathPart)).count();
    }

    @Test
    void lfsFileFollowsTheCdnRedirectAndLandsInHuggingFaceHubsCacheLayout() throws Exception {
        Path p = client(settings()).resolve(HubReference.parse("hf:" + REPO), HubFiles.MODEL_WEIGHTS);
        String sha = hub.etag(REPO, "model.safetensors");
        assertEquals(repoFolder().resolve("snapshots/" + FakeHub.COMMIT + "/model.safetensors"), p);
        assertTrue(Files.isSymbolicLink(p), "the snapshot entry is a link, as huggingface_hub makes");
        assertEquals(Path.of("../../blobs/" + sha), Files.readSymbolicLink(p));
        assertArrayEquals(weights, Files.readAllBytes(repoFolder().resolve("blobs/" + sha)));
        assertEquals(FakeHub.COMMIT, Files.readString(repoFolder().resolve("refs/main")));
        assertTrue(Files.exists(cache.resolve(".locks/models--nvidia--mit-b0/" + sha + ".lock")));
        assertFalse(Files.exists(repoFolder().resolve("blobs/" + sha + ".incomplete")));
        assertEquals(List.of("HEAD /nvidia/mit-b0/resolve/main/model.safetensors", "GET /cdn/" + sha),
                hub.requests(), "one HEAD, then the CDN location it named, without a second redirect");
    }

    @Test
    void gitFileIsCheckedAgainstItsGitBlobSha1() throws Exception {
        Path p = client(settings()).resolve(HubReference.parse("hf:" + REPO + ":config.json"));
        assertArrayEquals(config, Files.readAllBytes(p));
        String etag = hub.etag(REPO, "config.json");
        assertEquals(40, etag.length());
        assertEquals(Path.of("../../blobs/" + etag), Files.readSymbolicLink(p));
    }

    @Test
    void aFileInTheCacheIsNotDownloadedAgain() throws Exception {
        HubClient c = client(settings());
        Path first = c.resolve(HubReference.parse("hf:" + REPO), HubFiles.MODEL_WEIGHTS);
        Path second = c.resolve(HubReference.parse("hf:" + REPO), HubFiles.MODEL_WEIGHTS);
        assertEquals(first, second);
        assertEquals(1, gets("/cdn/"), hub.requests()::toString);
        // pinned to the commit: not even a HEAD
        int before = hub.requests().size();
        assertEquals(first, c.resolve(HubReference.parse("hf:" + REPO + "@" + FakeHub.COMMIT), HubFiles.MODEL_WEIGHTS));
        assertEquals(before, hub.requests().size());
    }

    @Test
    void filesLaidOutByHuggingFaceHubAreReusedOnlineAndOffline() throws Exception {
        // the layout huggingface_hub leaves after hf_hub_download("nvidia/mit-b0", "model.safetensors")
        String sha = hub.etag(REPO, "model.safetensors");
        Files.createDirectories(repoFolder().resolve("blobs"));
        Files.write(repoFolder().resolve("blobs/" + sha), weights);
        Path pointer = repoFolder().resolve("snapshots/" + FakeHub.COMMIT + "/model.safetensors");
        Files.createDirectories(pointer.getParent());
        Files.createSymbolicLink(pointer, Path.of("../../blobs/" + sha));
        Files.createDirectories(repoFolder().resolve("refs"));
        Files.writeString(repoFolder().resolve("refs/main"), FakeHub.COMMIT);

        assertEquals(pointer, client(settings()).resolve(HubReference.parse("hf:" + REPO), HubFiles.MODEL_WEIGHTS));
        assertEquals(0, gets(""), "online: one HEAD, no download: " + hub.requests());
        hub.close();
        assertEquals(pointer, client(settings().withOffline(true))
                .resolve(HubReference.parse("hf:" + REPO), HubFiles.MODEL_WEIGHTS));
        // the Hub gone without HF_HUB_OFFLINE: the cached file is used, with a note
        assertEquals(pointer, client(settings()).resolve(HubReference.parse("hf:" + REPO + ":model.safetensors")));
        assertTrue(notes.get(0).contains("the Hub cannot be reached") && notes.get(0).contains("using the cached"),
                notes::toString);
    }

    @Test
    void withTheHubUnreachableACachedLaterCandidateIsTaken() throws Exception {
        byte[] bin = bytes(4000, 3);
        hub.put("org/old-style", "pytorch_model.bin", bin, true);
        Path cached = client(settings()).resolve(HubReference.parse("hf:org/old-style"), HubFiles.MODEL_WEIGHTS);
        hub.close();
        assertEquals(cached, client(settings()).resolve(HubReference.parse("hf:org/old-style"),
                HubFiles.MODEL_WEIGHTS));
        assertTrue(notes.stream().anyMatch(n -> n.contains("using the cached " + cached)), notes::toString);
    }

    @Test
    void offlineWithoutTheFileSaysWhatToDo() {
        HubException e = assertThrows(HubException.class, () -> client(settings().withOffline(true))
                .resolve(HubReference.parse("hf:" + REPO), HubFiles.MODEL_WEIGHTS));
        assertTrue(e.getMessage().startsWith("hf:nvidia/mit-b0: HF_HUB_OFFLINE is set and model.safetensors /"
                + " pytorch_model.bin at main is not in the cache "), e.getMessage());
        assertTrue(e.getMessage().endsWith("download it once with the network on, or use a local file"),
                e.getMessage());
        assertTrue(hub.requests().isEmpty(), "offline: no request at all");
    }

    @Test
    void interruptedTransferResumesWithARangeRequest() throws Exception {
        String sha = hub.etag(REPO, "model.safetensors");
        hub.breakNextTransfer(sha, 100_000);
        Path p = client(settings()).resolve(HubReference.parse("hf:" + REPO + ":model.safetensors"));
        assertArrayEquals(weights, Files.readAllBytes(p));
        List<String> cdn = hub.requests().stream().filter(r -> r.contains("/cdn/")).toList();
        assertEquals(List.of("GET /cdn/" + sha, "GET /cdn/" + sha + " bytes=100000-"), cdn);
        assertTrue(notes.stream().anyMatch(n -> n.contains("resuming at byte 100000")), notes::toString);
    }

    @Test
    void aPartialFileLeftByAnEarlierRunIsResumed() throws Exception {
        String sha = hub.etag(REPO, "model.safetensors");
        Files.createDirectories(repoFolder().resolve("blobs"));
        Files.write(repoFolder().resolve("blobs/" + sha + ".incomplete"), java.util.Arrays.copyOf(weights, 123_456));
        Path p = client(settings()).resolve(HubReference.parse("hf:" + REPO + ":model.safetensors"));
        assertArrayEquals(weights, Files.readAllBytes(p));
        assertEquals(List.of("GET /cdn/" + sha + " bytes=123456-"),
                hub.requests().stream().filter(r -> r.contains("/cdn/")).toList());
    }

    @Test
    void wrongChecksumIsRefusedAndNothingIsCached() throws Exception {
        String sha = hub.etag(REPO, "model.safetensors");
        hub.corrupt(sha);
        HubException e = assertThrows(HubException.class, () -> client(settings())
                .resolve(HubReference.parse("hf:" + REPO), HubFiles.MODEL_WEIGHTS));
        assertTrue(e.getMessage().startsWith("hf:nvidia/mit-b0:model.safetensors: checksum mismatch: the Hub reports"
                + " sha256 " + sha + ", the downloaded file has "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        try (Stream<Path> s = Files.list(repoFolder().resolve("blobs"))) {
            assertEquals(List.of(), s.toList(), "no blob, no partial file");
        }
        assertFalse(Files.exists(repoFolder().resolve("snapshots/" + FakeHub.COMMIT + "/model.safetensors")));
    }

    @Test
    void gatedRepositoryWithoutTokenNamesHfTokenAndWithItDownloadsWithoutSendingItToTheCdn() throws Exception {
        hub.gate(REPO, "hf_secret");
        HubException e = assertThrows(HubException.class, () -> client(settings())
                .resolve(HubReference.parse("hf:" + REPO), HubFiles.MODEL_WEIGHTS));
        assertEquals("hf:nvidia/mit-b0:model.safetensors: the repository is gated: accept its conditions on its Hub"
                + " page, then set HF_TOKEN to a token of that account (the Hub: Access to model nvidia/mit-b0 is"
                + " restricted.)", e.getMessage());
        Path p = client(settings().withToken("hf_secret")).resolve(HubReference.parse("hf:" + REPO),
                HubFiles.MODEL_WEIGHTS);
        assertArrayEquals(weights, Files.readAllBytes(p));
        List<String> r = hub.requests();
        assertTrue(r.contains("HEAD /nvidia/mit-b0/resolve/main/model.safetensors auth"), r::toString);
        assertTrue(r.stream().filter(x -> x.contains("/cdn/")).noneMatch(x -> x.endsWith("auth")),
                "the token stays with the Hub: " + r);
    }

    @Test
    void unknownRepositoryIs401WithAHintAndUnknownFileIs404() {
        HubException e = assertThrows(HubException.class, () -> client(settings())
                .resolve(HubReference.parse("hf:nobody/nothing:model.safetensors")));
        assertEquals("hf:nobody/nothing:model.safetensors: the repository was not found, or it is private or gated:"
                + " if you have access, set HF_TOKEN to an access token (the Hub: Repository not found)",
                e.getMessage());
        HubException missing = assertThrows(HubException.EntryNotFound.class, () -> client(settings())
                .resolve(HubReference.parse("hf:" + REPO + ":tf_model.h5")));
        assertEquals("hf:nvidia/mit-b0:tf_model.h5: no file tf_model.h5 at revision main (the Hub: Entry not found)",
                missing.getMessage());
        assertTrue(Files.exists(repoFolder().resolve(".no_exist/" + FakeHub.COMMIT + "/tf_model.h5")),
                "the absence is cached as huggingface_hub caches it");
        HubException rev = assertThrows(HubException.class, () -> client(settings())
                .resolve(HubReference.parse("hf:" + REPO + "@v9:model.safetensors")));
        assertEquals("hf:nvidia/mit-b0@v9:model.safetensors: no revision 'v9' in the repository", rev.getMessage());
    }

    @Test
    void withoutModelSafetensorsPytorchModelBinIsTakenElseTheRepositorysFilesAreListed() throws Exception {
        byte[] bin = bytes(5000, 2);
        hub.put("org/old-style", "pytorch_model.bin", bin, true).put("org/old-style", "README.md", config, false);
        Path p = client(settings()).resolve(HubReference.parse("hf:org/old-style"), HubFiles.MODEL_WEIGHTS);
        assertEquals("pytorch_model.bin", p.getFileName().toString());
        assertArrayEquals(bin, Files.readAllBytes(p));
        hub.put("org/other", "weights.pt", bin, true).put("org/other", "README.md", config, false);
        HubException e = assertThrows(HubException.class, () -> client(settings())
                .resolve(HubReference.parse("hf:org/other"), HubFiles.MODEL_WEIGHTS));
        assertEquals("hf:org/other: the repository has none of model.safetensors, pytorch_model.bin; it has:"
                + " weights.pt, README.md; name the file as hf:org/other:FILE", e.getMessage());
    }

    @Test
    void renamedRepositoryIsFollowedThroughItsRelativeRedirect() throws Exception {
        hub.rename("nvidia/old-name", REPO);
        Path p = client(settings()).resolve(HubReference.parse("hf:nvidia/old-name"), HubFiles.MODEL_WEIGHTS);
        assertArrayEquals(weights, Files.readAllBytes(p));
        assertTrue(p.startsWith(cache.resolve("models--nvidia--old-name")), p::toString);
    }

    @Test
    void noNetworkSaysUseALocalFileOrHfHubOffline() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed when the test asks: nothing listens there
        }
        HubSettings s = new HubSettings(URI.create("http://127.0.0.1:" + port), cache, null, false);
        HubException e = assertThrows(HubException.class, () -> client(s)
                .resolve(HubReference.parse("hf:" + REPO), HubFiles.MODEL_WEIGHTS));
        assertTrue(e.getMessage().startsWith("hf:nvidia/mit-b0:model.safetensors: cannot reach the Hub at"
                + " http://127.0.0.1:" + port + " ("), e.getMessage());
        assertTrue(e.getMessage().contains("no network? use a local file, or set HF_HUB_OFFLINE=1"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
