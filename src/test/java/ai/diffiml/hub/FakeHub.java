package ai.diffiml.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small stand-in for the Hugging Face Hub on 127.0.0.1 (the JDK's HTTP server), speaking the part of its file API
 * that {@link HubClient} uses, with the headers the real Hub sends: {@code /{repo}/resolve/{rev}/{file}} answers
 * LFS files with a 302 to {@code /cdn/{sha256}} carrying {@code X-Linked-Etag} / {@code X-Linked-Size} /
 * {@code X-Repo-Commit}, git files with 200 and their git blob SHA-1 as {@code ETag}; errors carry
 * {@code X-Error-Code} (RepoNotFound and GatedRepo with 401, RevisionNotFound and EntryNotFound with 404);
 * {@code /api/models/{repo}/revision/{rev}} lists the files. Faults on demand: a transfer broken off after N bytes,
 * corrupted bytes, a gated repository, a renamed repository (relative redirect).
 */
public final class FakeHub implements AutoCloseable {
    /** The commit every repository of this hub is at. */
    public static final String COMMIT = "4c1ab5e7a8b0c3d2e1f0a9b8c7d6e5f4a3b2c1d0";

    private record Entry(byte[] bytes, boolean lfs, String sha256, String gitSha1) {
    }

    private final HttpServer server;
    private final Map<String, Map<String, Entry>> repos = new ConcurrentHashMap<>();
    private final Map<String, String> gated = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    private final Map<String, Long> breakAfter = new ConcurrentHashMap<>();
    private final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());

    public FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Adds {@code file} to {@code repo}: an LFS file (redirect to the CDN) or a file kept in git. */
    public FakeHub put(String repo, String file, byte[] bytes, boolean lfs) {
        repos.computeIfAbsent(repo, k -> Collections.synchronizedMap(new LinkedHashMap<>()))
                .put(file, new Entry(bytes, lfs, hex("SHA-256", bytes), gitSha1(bytes)));
        return this;
    }

    /** The Hub's checksum of a file: SHA-256 (LFS) or git blob SHA-1. */
    public String etag(String repo, String file) {
        Entry e = repos.get(repo).get(file);
        return e.lfs ? e.sha256 : e.gitSha1;
    }

    /** Only requests with {@code Authorization: Bearer token} may read {@code repo}. */
    public FakeHub gate(String repo, String token) {
        gated.put(repo, token);
        return this;
    }

    /** {@code oldRepo} answers with a relative redirect to {@code newRepo}, as a renamed repository does. */
    public FakeHub rename(String oldRepo, String newRepo) {
        renamed.put(oldRepo, newRepo);
        return this;
    }

    /** The next download of the blob {@code sha} stops after {@code bytes} bytes (the connection is closed). */
    public FakeHub breakNextTransfer(String sha, long bytes) {
        breakAfter.put(sha, bytes);
        return this;
    }

    /** Downloads of the blob {@code sha} send one byte changed (same size). */
    public FakeHub corrupt(String sha) {
        corrupt.put(sha, true);
        return this;
    }

    /** The requests seen, as "METHOD path [range] [auth]". */
    public List<String> requests() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern API = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)");

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getRawPath();
            String range = x.getRequestHeaders().getFirst("Range");
            String auth = x.getRequestHeaders().getFirst("Authorization");
            log.add(x.getRequestMethod() + " " + path + (range == null ? "" : " " + range)
                    + (auth == null ? "" : " auth"));
            boolean head = x.getRequestMethod().equals("HEAD");
            if (path.startsWith("/cdn/")) {
                cdn(x, path.substring(5), range, head);
                return;
            }
            Matcher api = API.matcher(path);
            if (api.matches()) {
                Map<String, Entry> files = repos.get(api.group(1));
                if (files == null) {
                    send(x, 404, Map.of("X-Error-Code", "RepoNotFound"), null, head);
                    return;
                }
                StringBuilder json = new StringBuilder("{\"sha\":\"" + COMMIT + "\",\"siblings\":[");
                synchronized (files) {
                    int i = 0;
                    for (String f : files.keySet()) {
                        json.append(i++ == 0 ? "" : ",").append("{\"rfilename\":\"").append(f).append("\"}");
                    }
                }
                send(x, 200, Map.of("Content-Type", "application/json"),
                        json.append("]}").toString().getBytes(StandardCharsets.UTF_8), head);
                return;
            }
            Matcher m = RESOLVE.matcher(path);
            if (!m.matches()) {
                send(x, 404, Map.of(), null, head);
                return;
            }
            String repo = m.group(1), rev = URLDecoder.decode(m.group(2), StandardCharsets.UTF_8);
            String file = URLDecoder.decode(m.group(3), StandardCharsets.UTF_8);
            if (renamed.containsKey(repo)) {
                send(x, 307, Map.of("Location", "/" + renamed.get(repo) + "/resolve/" + m.group(2) + "/"
                        + m.group(3)), null, head);
                return;
            }
            Map<String, Entry> files = repos.get(repo);
            if (files == null) {
                send(x, 401, Map.of("X-Error-Code", "RepoNotFound", "X-Error-Message", "Repository not found"),
                        null, head);
                return;
            }
            String token = gated.get(repo);
            if (token != null && !("Bearer " + token).equals(auth)) {
                send(x, 401, Map.of("X-Error-Code", "GatedRepo", "X-Error-Message",
                        "Access to model " + repo + " is restricted."), null, head);
                return;
            }
            if (!rev.equals("main") && !rev.equals(COMMIT)) {
                send(x, 404, Map.of("X-Error-Code", "RevisionNotFound"), null, head);
                return;
            }
            Entry e = files.get(file);
            if (e == null) {
                send(x, 404, Map.of("X-Error-Code", "EntryNotFound", "X-Repo-Commit", COMMIT,
                        "X-Error-Message", "Entry not found"), null, head);
                return;
            }
            if (e.lfs) {
                send(x, 302, Map.of("Location", endpoint() + "/cdn/" + e.sha256, "X-Repo-Commit", COMMIT,
                        "X-Linked-Etag", "\"" + e.sha256 + "\"", "X-Linked-Size", Long.toString(e.bytes.length),
                        "ETag", "\"" + gitSha1(("version https://git-lfs.github.com/spec/v1\noid sha256:" + e.sha256)
                                .getBytes(StandardCharsets.UTF_8)) + "\""), null, head);
                return;
            }
            send(x, 200, Map.of("X-Repo-Commit", COMMIT, "ETag", "\"" + e.gitSha1 + "\""), e.bytes, head);
        }
    }

    private void cdn(HttpExchange x, String sha, String range, boolean head) throws IOException {
        Entry e = null;
        for (Map<String, Entry> files : repos.values()) {
            synchronized (files) {
                for (Entry f : files.values()) {
                    if (f.sha256.equals(sha)) {
                        e = f;
                    }
                }
            }
        }
        if (e == null) {
            send(x, 404, Map.of(), null, head);
            return;
        }
        byte[] body = e.bytes.clone();
        if (corrupt.containsKey(sha)) {
            body[body.length / 2] ^= 0x5A;
        }
        int from = 0;
        int status = 200;
        Map<String, String> h = new LinkedHashMap<>();
        if (range != null) {
            Matcher r = Pattern.compile("bytes=(\\d+)-").matcher(range);
            if (!r.matches() || Long.parseLong(r.group(1)) >= body.length) {
                send(x, 416, Map.of("Content-Range", "bytes */" + body.length), null, head);
                return;
            }
            from = Integer.parseInt(r.group(1));
            status = 206;
            h.put("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        }
        byte[] part = java.util.Arrays.copyOfRange(body, from, body.length);
        Long cut = head ? null : breakAfter.remove(sha);
        if (cut == null) {
            send(x, status, h, part, head);
            return;
        }
        h.forEach((k, v) -> x.getResponseHeaders().add(k, v));
        x.sendResponseHeaders(status, part.length);
        OutputStream out = x.getResponseBody();
        out.write(part, 0, (int) Math.min(cut, part.length));
        out.flush();
        // Let the client read what was sent before the connection drops: closing with bytes owed resets it, and a
        // reset discards whatever the client's socket had received but not yet read (CI saw 97836 of 100000 arrive).
        try {
            Thread.sleep(300);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        // closing the exchange with bytes owed drops the connection: the client sees a broken transfer
    }

    private static void send(HttpExchange x, int status, Map<String, String> headers, byte[] body, boolean head)
            throws IOException {
        headers.forEach((k, v) -> x.getResponseHeaders().add(k, v));
        if (head || body == null) {
            if (head && body != null) {
                x.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
            }
            x.sendResponseHeaders(status, -1);
            return;
        }
        x.sendResponseHeaders(status, body.length);
        x.getResponseBody().write(body);
    }

    static String hex(String algorithm, byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            for (byte[] p : parts) {
                md.update(p);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String gitSha1(byte[] bytes) {
        return hex("SHA-1", ("blob " + bytes.length + "\0").getBytes(StandardCharsets.US_ASCII), bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
