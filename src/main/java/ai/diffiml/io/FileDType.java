package ai.diffiml.io;

import java.nio.ByteBuffer;

/**
 * Element type of a tensor as stored in a weight file. Floating types are widened or narrowed to float32 when read
 * (F64 rounds to nearest); integer types are read as {@code long}. Decoding uses the byte order of the buffer given.
 */
public enum FileDType {
    F32(4, false, "FloatStorage"),
    F16(2, false, "HalfStorage"),
    BF16(2, false, "BFloat16Storage"),
    F64(8, false, "DoubleStorage"),
    I64(8, true, "LongStorage"),
    I32(4, true, "IntStorage");

    /** Bytes per element in the file. */
    public final int bytes;
    /** True for integer types, whose values are exposed as {@code long[]}. */
    public final boolean integer;
    /** The {@code torch.<name>} storage class that torch.save writes for this type. */
    final String torchStorage;

    FileDType(int bytes, boolean integer, String torchStorage) {
        this.bytes = bytes;
        this.integer = integer;
        this.torchStorage = torchStorage;
    }

    /** The type for a safetensors {@code dtype} string, or null when it is not one of these. */
    static FileDType ofSafetensors(String name) {
        for (FileDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The type for a torch storage class name such as {@code FloatStorage}, or null. */
    static FileDType ofTorchStorage(String className) {
        for (FileDType t : values()) {
            if (t.torchStorage.equals(className)) {
                return t;
            }
        }
        return null;
    }

    /** The floating-point element at byte position {@code at} of {@code b}, as float32. */
    float floatAt(ByteBuffer b, int at) {
        switch (this) {
            case F32:
                return b.getFloat(at);
            case F16:
                return halfToFloat(b.getShort(at));
            case BF16:
                return Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
            case F64:
                return (float) b.getDouble(at);
            default:
                throw new IllegalStateException(this + " is an integer type");
        }
    }

    /** The integer element at byte position {@code at} of {@code b}. */
    long longAt(ByteBuffer b, int at) {
        switch (this) {
            case I64:
                return b.getLong(at);
            case I32:
                return b.getInt(at);
            default:
                throw new IllegalStateException(this + " is a floating-point type");
        }
    }

    /** IEEE 754 binary16 to float32, exact (every half value is a float), including subnormals, infinities, NaN. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal (or zero): mant * 2^-24, exact in float
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
