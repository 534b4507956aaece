package ai.diffiml.data;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Loads OpenCV (JavaCPP preset) on top of the LAPACK-free OpenBLAS binding the product already uses. OpenCV's
 * preset would otherwise load OpenBLAS's full LAPACK binding (about 24 MB of JNI the jar leaves out): we load
 * libopenblas through {@code openblas_nolapack} first, then tell the OpenBLAS preset to load nothing more
 * ({@code org.bytedeco.openblas.load=none}), so OpenCV's own libraries find the libopenblas already in the process.
 * Call {@link #load()} before touching any {@code org.bytedeco.opencv} class.
 */
public final class OpenCv {
    private static volatile boolean loaded;

    private OpenCv() {}

    public static void load() {
        if (loaded) {
            return;
        }
        synchronized (OpenCv.class) {
            if (!loaded) {
                ai.diffiml.backend.jni.NativeLibrary.load(); // diffiml_env first: OpenBLAS's thread settings
                Loader.load(openblas_nolapack.class);
                System.setProperty("org.bytedeco.openblas.load", "none");
                Loader.load(org.bytedeco.opencv.global.opencv_imgcodecs.class);
                Loader.load(org.bytedeco.opencv.global.opencv_photo.class);
                loaded = true;
            }
        }
    }
}
