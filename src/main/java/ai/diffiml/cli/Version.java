package ai.diffiml.cli;

import ai.diffiml.backend.Native;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The project version (from {@code version.properties}, filtered by Maven) and {@code --version}'s text. */
public final class Version implements IVersionProvider {
    /** The Maven project version, e.g. 0.1.0-SNAPSHOT. */
    public static String project() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties is missing from the class path");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String[] getVersion() {
        String nativeVersion;
        try {
            nativeVersion = Native.version();
        } catch (LinkageError e) {
            nativeVersion = "not loadable (" + e + ")";
        }
        return new String[] {"diffiml-native " + project(), "native library " + nativeVersion,
            "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }
}
