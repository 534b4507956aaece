package ai.diffiml.synth;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/** Reading back what the generator wrote, for the tests. */
final class SynthFiles {
    private SynthFiles() {}

    /** Every regular file under {@code dir} by relative path (with '/'), with its bytes. */
    static Map<String, byte[]> tree(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return files;
    }

    /** An image file decoded as it is stored (IMREAD_UNCHANGED): a raster with its own channel count. */
    static Raster decodeUnchanged(byte[] file, String what) {
        try (BytePointer bytes = new BytePointer(file);
                Mat raw = new Mat(1, file.length, opencv_core.CV_8UC1, bytes);
                Mat image = opencv_imgcodecs.imdecode(raw, opencv_imgcodecs.IMREAD_UNCHANGED)) {
            assertNotNull(image, what);
            if (image.empty()) {
                throw new AssertionError(what + ": does not decode");
            }
            return Raster.of(image);
        }
    }

    /** A decoded mask as 0/1 (it must be 8-bit single-channel 0/255; callers check that). */
    static Raster mask01(Raster mask) {
        Raster m = new Raster(mask.width, mask.height, 1);
        for (int i = 0; i < m.data.length; i++) {
            m.data[i] = mask.data[i] > 127.5f ? 1 : 0;
        }
        return m;
    }

    /** The name without its extension. */
    static String stem(String name) {
        int slash = name.lastIndexOf('/'), dot = name.lastIndexOf('.');
        return name.substring(slash + 1, dot > slash ? dot : name.length());
    }
}
