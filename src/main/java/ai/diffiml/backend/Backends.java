package ai.diffiml.backend;

import ai.diffiml.backend.jni.NativeLibrary;
import ai.diffiml.backend.jni.RuntimeKernels;
import java.io.File;
import java.io.IOException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/**
 * Chooses and initialises the backends. CUDA is probed once, lazily: the JavaCPP CUDA preset loads cudart and
 * cuBLAS from the system (or pip wheel) library path, then libdiffiml_cuda is opened from the jar. Any failure is
 * kept as a one-line reason; nothing here throws from a class initializer.
 */
public final class Backends {
    private static final Object LOCK = new Object();
    private static volatile boolean probed;
    private static String cudaProblem;
    private static Blas cpuBlas;
    private static Blas cudaBlas;

    private Backends() {}

    /** Resolves {@code auto|cpu|cuda}; "cuda" fails with {@link BackendUnavailableException} when unusable. */
    public static Device resolve(String choice) {
        switch (choice.toLowerCase()) {
            case "cpu":
                return Device.CPU;
            case "cuda":
                requireCuda();
                return Device.CUDA;
            case "auto":
                return cudaAvailable() ? Device.CUDA : Device.CPU;
            default:
                throw new IllegalArgumentException("unknown device '" + choice + "': expected auto, cpu or cuda");
        }
    }

    public static boolean cudaAvailable() {
        probeCuda();
        return cudaProblem == null;
    }

    /** Why CUDA is not usable, or null when it is. */
    public static String cudaProblem() {
        probeCuda();
        return cudaProblem;
    }

    public static void requireCuda() {
        if (!cudaAvailable()) {
            throw new BackendUnavailableException("CUDA backend unavailable: " + cudaProblem);
        }
    }

    /** One line naming the current CUDA device. */
    public static String cudaDeviceName() {
        requireCuda();
        try (BytePointer buf = new BytePointer(256)) {
            Native.check(RuntimeKernels.dml_cuda_device_name(buf, 256), "cuda device name");
            return buf.getString();
        }
    }

    public static Blas blas(Device device) {
        if (device == Device.CUDA) {
            requireCuda();
            return cudaBlas;
        }
        synchronized (LOCK) {
            if (cpuBlas == null) {
                NativeLibrary.load();
                cpuBlas = new CpuBlas();
            }
            return cpuBlas;
        }
    }

    /**
     * CUDA GEMMs in TF32 (tensor cores; about 3e-4 relative error per product) when {@code on}, else plain FP32
     * (the default, and what every test uses). Applies to every later cuBLAS call of the process.
     */
    public static void cudaTf32(boolean on) {
        requireCuda();
        ((CudaBlas) cudaBlas).tf32(on);
    }

    /** Waits for all queued work on the device (a no-op on CPU). */
    public static void synchronize(Device device) {
        Native.check(RuntimeKernels.dml_synchronize(device.code), "synchronize " + device);
    }

    private static void probeCuda() {
        if (probed) {
            return;
        }
        synchronized (LOCK) {
            if (probed) {
                return;
            }
            cudaProblem = loadCuda();
            probed = true;
        }
    }

    // Returns null on success, else the reason in one line with what to install.
    private static String loadCuda() {
        NativeLibrary.load();
        String platform = Loader.getPlatform();
        if (!platform.equals("linux-x86_64")) {
            return "the CUDA kernels are built for linux-x86_64 only (this is " + platform + ")";
        }
        File kernels;
        try {
            kernels = Loader.cacheResource(NativeLibrary.class, platform + "/libdiffiml_cuda.so");
        } catch (IOException e) {
            return "cannot extract libdiffiml_cuda.so: " + e.getMessage();
        }
        if (kernels == null) {
            return "this build has no CUDA kernels (nvcc was not found when it was built)";
        }
        if (RuntimeKernels.dml_library_loadable("libcuda.so.1") == 0) {
            return "no NVIDIA driver (libcuda.so.1 not found); install the NVIDIA driver (CUDA 13 capable) to use"
                    + " --device cuda";
        }
        try {
            Loader.load(org.bytedeco.cuda.global.cudart.class);
            Loader.load(org.bytedeco.cuda.global.cublas.class);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return "the CUDA 13 runtime or cuBLAS was not found on the library path (" + firstLine(e)
                    + "); install the NVIDIA driver and CUDA 13 (cudart, cuBLAS), or add their lib folders to"
                    + " LD_LIBRARY_PATH";
        }
        int status = RuntimeKernels.dml_cuda_load(kernels.getAbsolutePath());
        if (status != 0) {
            return Native.lastError();
        }
        try {
            cudaBlas = new CudaBlas();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return "cuBLAS could not be initialised: " + firstLine(e);
        }
        return null;
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
