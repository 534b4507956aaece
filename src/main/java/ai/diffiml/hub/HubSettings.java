package ai.diffiml.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Where the Hub is and how to reach it, read from the variables {@code huggingface_hub} reads, so that a machine
 * set up for Python needs nothing more:
 * <ul>
 *   <li>{@code HF_ENDPOINT}: the Hub's address (default {@value #DEFAULT_ENDPOINT});</li>
 *   <li>the cache: {@code HF_HUB_CACHE}, else the legacy {@code HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub},
 *       else {@code $XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub};</li>
 *   <li>the token: {@code HF_TOKEN}, else the legacy {@code HUGGING_FACE_HUB_TOKEN}, else the file
 *       {@code HF_TOKEN_PATH} (default {@code $HF_HOME/token}, where {@code huggingface-cli login} writes it);</li>
 *   <li>{@code HF_HUB_OFFLINE}: 1/true/yes/on: never touch the network, take files from the cache.</li>
 * </ul>
 * {@link #system()} takes each from a JVM system property of the same name when one is set (handy where
 * environment variables are awkward, e.g. {@code spark.driver.extraJavaOptions}), else from the environment.
 *
 * @param endpoint  the Hub, without a trailing slash
 * @param cache     the hub cache folder ({@code .../huggingface/hub})
 * @param token     the access token, or null
 * @param offline   whether the network is off limits
 */
public record HubSettings(URI endpoint, Path cache, String token, boolean offline) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE = Set.of("1", "true", "yes", "on");

    public HubSettings {
        String e = endpoint.toString();
        if (e.endsWith("/")) {
            endpoint = URI.create(e.substring(0, e.length() - 1));
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
    }

    /** From the JVM's system properties and environment (see the class comment). */
    public static HubSettings system() {
        Map<String, String> env = System.getenv();
        return from(name -> {
            String p = System.getProperty(name);
            return p != null ? p : env.get(name);
        });
    }

    /** From {@code lookup} (a variable's name to its value, or null when unset). */
    public static HubSettings from(UnaryOperator<String> lookup) {
        String endpoint = nonEmpty(lookup.apply("HF_ENDPOINT"));
        Path home = Path.of(System.getProperty("user.home"));
        String xdg = nonEmpty(lookup.apply("XDG_CACHE_HOME"));
        String hfHomeValue = nonEmpty(lookup.apply("HF_HOME"));
        Path hfHome = hfHomeValue != null ? expand(hfHomeValue, home)
                : (xdg != null ? expand(xdg, home) : home.resolve(".cache")).resolve("huggingface");
        String cacheValue = nonEmpty(lookup.apply("HF_HUB_CACHE"));
        if (cacheValue == null) {
            cacheValue = nonEmpty(lookup.apply("HUGGINGFACE_HUB_CACHE"));
        }
        Path cache = cacheValue != null ? expand(cacheValue, home) : hfHome.resolve("hub");
        String token = nonEmpty(lookup.apply("HF_TOKEN"));
        if (token == null) {
            token = nonEmpty(lookup.apply("HUGGING_FACE_HUB_TOKEN"));
        }
        if (token == null) {
            String tokenPath = nonEmpty(lookup.apply("HF_TOKEN_PATH"));
            Path file = tokenPath != null ? expand(tokenPath, home) : hfHome.resolve("token");
            token = readToken(file);
        }
        String offline = nonEmpty(lookup.apply("HF_HUB_OFFLINE"));
        return new HubSettings(URI.create(endpoint != null ? endpoint : DEFAULT_ENDPOINT), cache, token,
                offline != null && TRUE.contains(offline.toLowerCase(Locale.ROOT)));
    }

    /** The same with another endpoint (tests: a local server). */
    public HubSettings withEndpoint(URI e) {
        return new HubSettings(e, cache, token, offline);
    }

    /** The same with the network on or off. */
    public HubSettings withOffline(boolean o) {
        return new HubSettings(endpoint, cache, token, o);
    }

    /** The same with another token (null: none). */
    public HubSettings withToken(String t) {
        return new HubSettings(endpoint, cache, t, offline);
    }

    private static String readToken(Path file) {
        try {
            return Files.isRegularFile(file) ? nonEmpty(Files.readString(file, StandardCharsets.UTF_8).strip()) : null;
        } catch (IOException e) {
            return null; // an unreadable token file is the same as none: the Hub then says what it needs
        }
    }

    private static Path expand(String value, Path home) {
        return value.equals("~") ? home : value.startsWith("~/") ? home.resolve(value.substring(2)) : Path.of(value);
    }

    private static String nonEmpty(String v) {
        return v == null || v.isBlank() ? null : v;
    }

    @Override
    public String toString() { // never the token
        return "HubSettings[endpoint=" + endpoint + ", cache=" + cache + ", token=" + (token == null ? "none" : "set")
                + ", offline=" + offline + "]";
    }
}
