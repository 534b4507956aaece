package ai.diffiml.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The Hub's checksum of a file is its ETag: the SHA-256 of the content for LFS files ({@code X-Linked-Etag}, 64 hex
 * digits), the git blob SHA-1 for files kept in git ({@code ETag}, 40 hex digits: SHA-1 of
 * {@code "blob <size>\0"} followed by the content).
 */
final class Checksums {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

    private Checksums() {
    }

    /** Whether {@code etag} is a checksum this class can check. */
    static boolean checkable(String etag) {
        return SHA256.matcher(etag).matches() || SHA1.matcher(etag).matches();
    }

    /** The kind of digest {@code etag} is ("sha256" or "git sha1"). */
    static String kind(String etag) {
        return SHA256.matcher(etag).matches() ? "sha256" : "git sha1";
    }

    /** The digest of {@code file} in the form {@code etag} has (see the class comment). */
    static String digest(Path file, String etag) throws IOException {
        MessageDigest md;
        try {
            if (SHA256.matcher(etag).matches()) {
                md = MessageDigest.getInstance("SHA-256");
            } else {
                md = MessageDigest.getInstance("SHA-1");
                md.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks a standard digest", e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
