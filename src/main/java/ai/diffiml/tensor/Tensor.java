package ai.diffiml.tensor;

import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.RuntimeKernels;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A contiguous row-major (NCHW) float32 array in host or device memory, with the autograd fields the tape uses.
 * Memory is released by {@link #close()} or by the {@link Scope} that owns the tensor, never by the GC.
 * Shapes are immutable; {@link #view} gives a tensor of another shape over the same memory.
 */
public final class Tensor implements AutoCloseable {
    /** Debug aid for kernel tests: fill every new allocation with NaN so unwritten outputs cannot pass. */
    private static volatile boolean poisonAllocations = Boolean.getBoolean("diffiml.poison");

    private final Device device;
    private final int[] shape;
    private final long numel;
    private long address;
    private final Tensor base; // non-null for views: the owner of the memory
    private boolean requiresGrad;
    private Tensor grad;
    private String name;

    private Tensor(Device device, int[] shape, long address, Tensor base) {
        this.device = device;
        this.shape = shape.clone();
        this.numel = Shapes.numel(shape);
        this.address = address;
        this.base = base;
    }

    public static void poisonAllocations(boolean on) {
        poisonAllocations = on;
    }

    /** Uninitialised tensor (NaN-filled while poisoning is on), owned by the current scope if one is open. */
    public static Tensor empty(Device device, int... shape) {
        long n = Shapes.numel(shape);
        long addr = RuntimeKernels.dml_malloc(device.code, n * 4);
        if (addr == 0) {
            throw new OutOfMemoryError("allocating " + Shapes.str(shape) + " on " + device + ": " + Native.lastError());
        }
        Tensor t = new Tensor(device, shape, addr, null);
        if (poisonAllocations) {
            t.fill(Float.NaN);
        }
        Scope scope = Scope.current();
        if (scope != null) {
            scope.adopt(t);
        }
        return t;
    }

    /** Like {@link #empty} but owned by no scope: the caller (or the leaf it is the gradient of) closes it. */
    public static Tensor detachedEmpty(Device device, int... shape) {
        Scope scope = Scope.current();
        Tensor t = empty(device, shape);
        if (scope != null) {
            scope.disown(t);
        }
        return t;
    }

    public static Tensor zeros(Device device, int... shape) {
        return full(device, 0f, shape);
    }

    public static Tensor full(Device device, float value, int... shape) {
        Tensor t = empty(device, shape);
        t.fill(value);
        return t;
    }

    public static Tensor of(Device device, float[] data, int... shape) {
        if (data.length != Shapes.numel(shape)) {
            throw new IllegalArgumentException(
                    "Tensor.of: " + data.length + " values do not fill shape " + Shapes.str(shape));
        }
        Tensor t = empty(device, shape);
        t.copyFrom(data);
        return t;
    }

    public Device device() {
        return device;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public int rank() {
        return shape.length;
    }

    public long numel() {
        return numel;
    }

    public DType dtype() {
        return DType.F32;
    }

    /** Raw address of the first element, for native calls. */
    public long address() {
        if (address == 0 || (base != null && base.address == 0)) {
            throw new IllegalStateException("tensor " + describe() + " was already closed");
        }
        return address;
    }

    public boolean isClosed() {
        return address == 0;
    }

    /** A tensor of another shape sharing this one's memory; it never frees it (same element count). */
    public Tensor view(int... newShape) {
        if (Shapes.numel(newShape) != numel) {
            throw new IllegalArgumentException(
                    "view: cannot view " + Shapes.str(shape) + " as " + Shapes.str(newShape) + " (element counts differ)");
        }
        return new Tensor(device, newShape, address(), base != null ? base : this);
    }

    public Tensor fill(float value) {
        Native.check(RuntimeKernels.dml_fill(device.code, address(), numel, value), "fill " + describe());
        return this;
    }

    public void copyFrom(float[] data) {
        if (data.length != numel) {
            throw new IllegalArgumentException("copyFrom: " + data.length + " values for " + describe());
        }
        try (FloatPointer host = new FloatPointer(data)) {
            Native.check(RuntimeKernels.dml_copy(device.code, address(), Device.CPU.code, host.address(), numel),
                    "copy to " + describe());
        }
    }

    /** Copies {@code src} (same element count, any device) into this tensor. */
    public void copyFrom(Tensor src) {
        if (src.numel != numel) {
            throw new IllegalArgumentException("copyFrom: " + src.describe() + " into " + describe());
        }
        Native.check(RuntimeKernels.dml_copy(device.code, address(), src.device.code, src.address(), numel),
                "copy " + src.describe() + " to " + describe());
    }

    public float[] toArray() {
        float[] out = new float[Math.toIntExact(numel)];
        if (device == Device.CPU) {
            hostBuffer().get(out);
            return out;
        }
        try (FloatPointer host = new FloatPointer(numel)) {
            Native.check(RuntimeKernels.dml_copy(Device.CPU.code, host.address(), device.code, address(), numel),
                    "copy to host " + describe());
            host.get(out);
        }
        return out;
    }

    /** Direct view of a CPU tensor's memory (valid until the tensor is closed). */
    public FloatBuffer hostBuffer() {
        if (device != Device.CPU) {
            throw new IllegalStateException("hostBuffer: " + describe() + " is not in host memory");
        }
        return new Pointer() {
            {
                address = Tensor.this.address();
                limit = numel * 4;
                capacity = limit;
            }
        }.asByteBuffer().order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
    }

    public float item() {
        if (numel != 1) {
            throw new IllegalStateException("item: " + describe() + " has " + numel + " elements");
        }
        return toArray()[0];
    }

    /** A copy on {@code target} (owned by the current scope). */
    public Tensor to(Device target) {
        Tensor t = empty(target, shape);
        t.copyFrom(this);
        return t;
    }

    /** A fresh copy on the same device. */
    public Tensor copy() {
        return to(device);
    }

    // ---- autograd fields (used by ai.diffiml.autograd) ----

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public Tensor requiresGrad(boolean on) {
        this.requiresGrad = on;
        return this;
    }

    /** Accumulated gradient of a leaf, or null. */
    public Tensor grad() {
        return grad;
    }

    public void setGrad(Tensor g) {
        this.grad = g;
    }

    public String name() {
        return name;
    }

    public Tensor name(String n) {
        this.name = n;
        return this;
    }

    public String describe() {
        return (name != null ? name + " " : "") + Shapes.str(shape) + "@" + device;
    }

    @Override
    public String toString() {
        return "Tensor" + describe();
    }

    /** Frees the memory (views free nothing). Idempotent. The gradient of a leaf is closed with it. */
    @Override
    public void close() {
        if (address == 0) {
            return;
        }
        if (base == null) {
            Native.check(RuntimeKernels.dml_free(device.code, address), "free " + describe());
        }
        address = 0;
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
