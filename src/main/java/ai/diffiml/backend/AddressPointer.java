package ai.diffiml.backend;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/** A non-owning JavaCPP view of {@code n} floats at a raw address (host or device), for BLAS bindings. */
final class AddressPointer extends FloatPointer {
    AddressPointer(long address, long n) {
        super((Pointer) null);
        this.address = address;
        this.limit = n;
        this.capacity = n;
    }
}
