package ai.diffiml.hub;

import java.nio.charset.StandardCharsets;

/** Percent-encoding of URL path parts as {@code huggingface_hub} does ({@code urllib.parse.quote}). */
final class UrlPaths {
    private static final String UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

    private UrlPaths() {
    }

    /** One segment: everything but the unreserved characters encoded, '/' too (a revision such as refs/pr/1). */
    static String segment(String s) {
        return encode(s, "");
    }

    /** A path: as {@link #segment} but '/' kept (a file in a folder of the repository). */
    static String path(String s) {
        return encode(s, "/");
    }

    private static String encode(String s, String keep) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (x & 0xFF);
            if (c < 128 && (UNRESERVED.indexOf(c) >= 0 || keep.indexOf(c) >= 0)) {
                b.append(c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit((x >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(x & 0xF, 16)));
            }
        }
        return b.toString();
    }
}
