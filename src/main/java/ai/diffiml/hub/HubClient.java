package ai.diffiml.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Downloads files from the Hugging Face Hub's public file API ({@code {endpoint}/{repo}/resolve/{revision}/{file}})
 * into the shared cache ({@link HubCache}), as {@code huggingface_hub}'s {@code hf_hub_download} does:
 * <ol>
 *   <li>a HEAD request (redirects to the same site followed, e.g. a renamed repository; a redirect to another
 *       site, the CDN of LFS files, is not followed) gives the commit ({@code X-Repo-Commit}), the checksum
 *       ({@code X-Linked-Etag}, else {@code ETag}), the size ({@code X-Linked-Size}, else {@code Content-Length})
 *       and where to download from ({@code Location}; the token is not sent there);</li>
 *   <li>a file already in {@code snapshots/{commit}/} or {@code blobs/} is used as it is;</li>
 *   <li>otherwise it is downloaded to {@code blobs/{etag}.incomplete} under a lock, resuming from what is there
 *       ({@code Range: bytes=N-}) after an interrupted transfer, up to {@value #ATTEMPTS} tries per call and across
 *       calls; its size and checksum (SHA-256 for LFS files, the git blob SHA-1 otherwise) are checked before it
 *       becomes {@code blobs/{etag}} with {@code snapshots/{commit}/{file}} linked to it.</li>
 * </ol>
 * Offline ({@code HF_HUB_OFFLINE}), or when the Hub cannot be reached, a revision is looked up through
 * {@code refs/{revision}} and the snapshot. Every failure is a one-line {@link HubException}.
 */
public final class HubClient {
    /** Transfers tried per download before giving up (the partial file stays for the next call to resume). */
    public static final int ATTEMPTS = 4;
    private static final int MAX_RELATIVE_REDIRECTS = 5;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);
    private static final Map<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a download reports while it runs (a progress bar, a log line, nothing). */
    public interface Listener {
        /** A transfer of {@code name} starts at byte {@code from} of {@code total} (-1: unknown). */
        default void started(String name, long from, long total) {
        }

        /** {@code bytes} more have arrived. */
        default void advanced(long bytes) {
        }

        /** The transfer ended (done or broken off). */
        default void finished() {
        }

        /** A note worth telling (a retry, a cache fallback). */
        default void note(String message) {
        }
    }

    private record Metadata(String commit, String etag, long size, URI location, boolean sendToken) {
    }

    private final HubSettings settings;
    private final HttpClient http;
    private final Listener listener;

    public HubClient(HubSettings settings) {
        this(settings, new Listener() { });
    }

    public HubClient(HubSettings settings, Listener listener) {
        this.settings = settings;
        this.listener = listener;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(CONNECT_TIMEOUT).build();
    }

    public HubSettings settings() {
        return settings;
    }

    /**
     * The local path of {@code ref}'s file, downloaded first if it is not in the cache. When {@code ref} names no
     * file, the first of {@code candidates} the repository has; when it has none of them, a {@link HubException}
     * listing the repository's files.
     */
    public Path resolve(HubReference ref, List<String> candidates) throws IOException {
        if (ref.file() != null) {
            return resolve(ref);
        }
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException(ref + ": name the file, as " + ref + ":FILE");
        }
        HubCache cache = new HubCache(settings.cache(), ref.repo());
        if (settings.offline()) {
            for (String c : candidates) {
                Path p = cached(ref.withFile(c), cache);
                if (p != null) {
                    return p;
                }
            }
            throw new HubException(offlineMiss(ref, cache, candidates));
        }
        for (String c : candidates) {
            try {
                return resolve(ref.withFile(c));
            } catch (HubException.EntryNotFound absent) {
                // try the next candidate
            } catch (HubException.Unreachable e) {
                for (String other : candidates) { // another candidate may be in the cache
                    Path p = cached(ref.withFile(other), cache);
                    if (p != null) {
                        listener.note(ref + ": the Hub cannot be reached; using the cached " + p);
                        return p;
                    }
                }
                throw e;
            }
        }
        List<String> files = listFiles(ref);
        throw new HubException(ref + ": the repository has none of " + String.join(", ", candidates)
                + (files == null ? "" : "; it has: " + String.join(", ", files)) + "; name the file as " + ref
                + ":FILE");
    }

    /** The local path of {@code ref}'s file (which must be named), downloaded first if not in the cache. */
    public Path resolve(HubReference ref) throws IOException {
        if (ref.file() == null) {
            throw new IllegalArgumentException(ref + ": no file named");
        }
        HubCache cache = new HubCache(settings.cache(), ref.repo());
        if (ref.revisionIsCommit() && Files.exists(cache.snapshot(ref.revision(), ref.file()))) {
            return cache.snapshot(ref.revision(), ref.file());
        }
        if (settings.offline()) {
            Path p = cached(ref, cache);
            if (p == null) {
                throw new HubException(offlineMiss(ref, cache, List.of(ref.file())));
            }
            return p;
        }
        Metadata m;
        try {
            m = metadata(ref, cache);
        } catch (Unreachable e) {
            Path p = cached(ref, cache);
            if (p != null) {
                listener.note(ref + ": the Hub cannot be reached (" + e.getMessage() + "); using the cached " + p);
                return p;
            }
            throw new HubException.Unreachable(ref + ": cannot reach the Hub at " + settings.endpoint() + " ("
                    + e.getMessage()
                    + "); no network? use a local file, or set HF_HUB_OFFLINE=1 to take files already in the cache "
                    + settings.cache(), e);
        }
        cache.recordRef(ref.revision(), m.commit());
        Path pointer = cache.snapshot(m.commit(), ref.file());
        if (Files.exists(pointer)) {
            return pointer;
        }
        Path blob = cache.blob(m.etag());
        Path lockFile = cache.lock(m.etag());
        Files.createDirectories(lockFile.getParent());
        Files.createDirectories(blob.getParent());
        synchronized (JVM_LOCKS.computeIfAbsent(lockFile.toAbsolutePath(), k -> new Object())) {
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = ch.lock()) {
                if (!Files.exists(blob)) {
                    download(ref, m, cache);
                }
                return cache.link(m.commit(), ref.file(), m.etag());
            }
        }
    }

    /** The file's snapshot entry for the cached commit of the revision, or null. */
    private static Path cached(HubReference ref, HubCache cache) throws IOException {
        String commit = ref.revisionIsCommit() ? ref.revision() : cache.commitOf(ref.revision());
        if (commit == null) {
            return null;
        }
        Path p = cache.snapshot(commit, ref.file());
        return Files.exists(p) ? p : null;
    }

    private String offlineMiss(HubReference ref, HubCache cache, List<String> files) throws IOException {
        String commit = ref.revisionIsCommit() ? ref.revision() : cache.commitOf(ref.revision());
        String has = commit == null ? "" : "; the cached snapshot " + commit + " has: "
                + String.join(", ", cache.snapshotFiles(commit));
        return ref + ": HF_HUB_OFFLINE is set and " + String.join(" / ", files) + " at " + ref.revision()
                + " is not in the cache " + cache.folder() + has + "; download it once with the network on, or use a"
                + " local file";
    }

    // ---- HTTP ----

    /** The network could not be used (no connection, a time-out, a broken exchange). */
    private static final class Unreachable extends IOException {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private URI resolveUrl(HubReference ref) {
        return URI.create(settings.endpoint() + "/" + ref.repo() + "/resolve/" + UrlPaths.segment(ref.revision())
                + "/" + UrlPaths.path(ref.file()));
    }

    private HttpRequest.Builder request(URI uri, boolean withToken) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(RESPONSE_TIMEOUT)
                .header("User-Agent", "diffiml-native; java/" + Runtime.version().feature());
        if (withToken && settings.token() != null) {
            b.header("Authorization", "Bearer " + settings.token());
        }
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest r, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(r, handler);
        } catch (IOException e) { // refused, unresolved, timed out, reset: the network cannot be used
            throw new Unreachable(describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("interrupted while talking to " + r.uri().getHost(), e);
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.replace('\n', ' '));
    }

    private Metadata metadata(HubReference ref, HubCache cache) throws IOException {
        URI url = resolveUrl(ref);
        for (int hop = 0; ; hop++) {
            HttpRequest head = request(url, true).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept-Encoding", "identity").build();
            HttpResponse<Void> r = send(head, HttpResponse.BodyHandlers.discarding());
            int status = r.statusCode();
            HttpHeaders h = r.headers();
            URI location = url;
            if (status >= 300 && status < 400) {
                String target = h.firstValue("Location").orElseThrow(() -> new HubException(ref
                        + ": the Hub answered HTTP " + status + " without a Location"));
                URI t = URI.create(target);
                if (t.getHost() == null) { // same site (a renamed repository): follow, as huggingface_hub does
                    if (hop >= MAX_RELATIVE_REDIRECTS) {
                        throw new HubException(ref + ": more than " + MAX_RELATIVE_REDIRECTS + " redirects");
                    }
                    url = url.resolve(t);
                    continue;
                }
                location = t;
            } else if (status >= 400) {
                String commit = h.firstValue("X-Repo-Commit").orElse(null);
                HubException e = failure(ref, status, h);
                if (e instanceof HubException.EntryNotFound && commit != null) {
                    cache.recordMissing(commit, ref.file());
                    cache.recordRef(ref.revision(), commit);
                }
                throw e;
            }
            String commit = h.firstValue("X-Repo-Commit").orElseThrow(() -> new HubException(ref + ": "
                    + settings.endpoint() + " sent no X-Repo-Commit header: is HF_ENDPOINT a Hugging Face Hub?"));
            String etag = normaliseEtag(h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).orElse(null));
            if (etag == null || !Checksums.checkable(etag)) {
                throw new HubException(ref + ": the Hub reported no checksum to check the file against (ETag "
                        + etag + ")");
            }
            long size = h.firstValueAsLong("X-Linked-Size").orElse(h.firstValueAsLong("Content-Length").orElse(-1));
            return new Metadata(commit.strip(), etag, size, location, location.equals(url));
        }
    }

    /** {@code "abc"} and {@code W/"abc"} are {@code abc}. */
    static String normaliseEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        e = e.replace("\"", "");
        return e.isEmpty() ? null : e.toLowerCase(Locale.ROOT);
    }

    private HubException failure(HubReference ref, int status, HttpHeaders h) {
        String code = h.firstValue("X-Error-Code").orElse("");
        String hubSays = h.firstValue("X-Error-Message").map(m -> " (the Hub: " + m.replace('\n', ' ') + ")")
                .orElse("");
        boolean token = settings.token() != null;
        String where = ref + ": ";
        return switch (status) {
            case 401 -> new HubException(where + (code.equals("GatedRepo")
                    ? "the repository is gated: accept its conditions on its Hub page, then set HF_TOKEN to a token"
                            + " of that account"
                    : token ? "the Hub refused the token (HF_TOKEN): check that it is valid"
                            : "the repository was not found, or it is private or gated: if you have access, set"
                                    + " HF_TOKEN to an access token") + hubSays);
            case 403 -> new HubException(where + (code.equals("GatedRepo")
                    ? "the repository is gated and the token's account has not been granted access: request it on"
                            + " the repository's Hub page"
                    : "access denied (HTTP 403)") + hubSays);
            case 404 -> switch (code) {
                case "RepoNotFound" -> new HubException(where + "no such repository on " + settings.endpoint()
                        + hubSays);
                case "RevisionNotFound" -> new HubException(where + "no revision '" + ref.revision()
                        + "' in the repository" + hubSays);
                default -> new HubException.EntryNotFound(where + "no file " + ref.file() + " at revision "
                        + ref.revision() + hubSays);
            };
            case 429 -> new HubException(where + "the Hub asks to slow down (HTTP 429): try again in a minute"
                    + hubSays);
            default -> new HubException(where + "the Hub answered HTTP " + status
                    + (status >= 500 ? ": try again later" : "") + hubSays);
        };
    }

    private void download(HubReference ref, Metadata m, HubCache cache) throws IOException {
        Path part = cache.incomplete(m.etag());
        long expected = m.size();
        String lastProblem = null;
        int attempts = 0;
        while (true) {
            long have = Files.exists(part) ? Files.size(part) : 0;
            if (expected >= 0 && have > expected) {
                Files.delete(part);
                have = 0;
            }
            if (expected >= 0 && have == expected && attempts > 0) {
                break;
            }
            if (expected >= 0 && have == expected && expected > 0) {
                break; // a previous run got every byte but stopped before checking them
            }
            if (attempts == ATTEMPTS) {
                throw new HubException(ref + ": download broken off at " + have + " of " + expected + " bytes after "
                        + ATTEMPTS + " tries (" + lastProblem + "); run the same command again to resume from "
                        + part);
            }
            attempts++;
            if (attempts > 1) {
                listener.note(ref + ": transfer broken off (" + lastProblem + "); resuming at byte " + have);
            }
            HttpRequest.Builder get = request(m.location(), m.sendToken()).GET();
            if (have > 0) {
                get.header("Range", "bytes=" + have + "-");
            }
            HttpResponse<InputStream> r;
            try {
                r = send(get.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (Unreachable e) {
                lastProblem = e.getMessage();
                if (attempts == 1 && have == 0) {
                    throw new HubException.Unreachable(ref + ": cannot download from " + m.location().getHost() + " ("
                            + e.getMessage() + "); no network? use a local file, or set HF_HUB_OFFLINE=1", e);
                }
                continue;
            }
            int status = r.statusCode();
            boolean append;
            if (status == 206 && have > 0) {
                append = true;
            } else if (status == 200) {
                append = false; // the server ignored the range: start over
                have = 0;
            } else if (status == 416) {
                r.body().close();
                Files.deleteIfExists(part);
                lastProblem = "HTTP 416 for a range";
                continue;
            } else {
                r.body().close();
                throw failure(ref, status, r.headers());
            }
            listener.started(ref.file(), have, expected);
            try (InputStream in = r.body();
                    OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    listener.advanced(n);
                }
            } catch (IOException e) {
                lastProblem = describe(e);
                continue;
            } finally {
                listener.finished();
            }
            if (expected < 0 || Files.size(part) == expected) {
                break;
            }
            lastProblem = "the connection closed at byte " + Files.size(part);
        }
        long got = Files.size(part);
        if (expected >= 0 && got != expected) {
            Files.deleteIfExists(part);
            throw new HubException(ref + ": got " + got + " bytes, the Hub said " + expected + "; the partial file"
                    + " was removed, run again");
        }
        String actual = Checksums.digest(part, m.etag());
        if (!actual.equals(m.etag())) {
            Files.deleteIfExists(part);
            throw new HubException(ref + ": checksum mismatch: the Hub reports " + Checksums.kind(m.etag()) + " "
                    + m.etag() + ", the downloaded file has " + actual + "; it was removed and not used (run again;"
                    + " if it persists, the file was corrupted on its way)");
        }
        Files.move(part, cache.blob(m.etag()), StandardCopyOption.ATOMIC_MOVE);
    }

    /** The repository's files at the revision ({@code /api/models/{repo}/revision/{revision}}), or null. */
    List<String> listFiles(HubReference ref) {
        URI api = URI.create(settings.endpoint() + "/api/models/" + ref.repo() + "/revision/"
                + UrlPaths.segment(ref.revision()));
        try {
            HttpResponse<String> r = send(request(api, true).GET().build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.statusCode() != 200) {
                return null;
            }
            List<String> out = new ArrayList<>();
            for (JsonNode s : JSON.readTree(r.body()).path("siblings")) {
                out.add(s.path("rfilename").asText());
            }
            return out;
        } catch (IOException e) {
            return null;
        }
    }
}
