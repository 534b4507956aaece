package ai.diffiml.backend;

/** Where a tensor's memory lives and which kernels run on it. The code is the C API's {@code dml_device}. */
public enum Device {
    CPU(0),
    CUDA(1);

    public final int code;

    Device(int code) {
        this.code = code;
    }
}
