package ai.diffiml.tensor;

/** Element type of a tensor. Only F32 is computed today; the half types are reserved for GPU storage. */
public enum DType {
    F32(4),
    BF16(2),
    F16(2);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }
}
