package ai.diffiml.cli;

public final class Main {
    public static void main(String[] args) {
        ai.diffiml.backend.jni.NativeLibrary.load();
        System.out.println(ai.diffiml.backend.jni.RuntimeKernels.dml_version().getString());
    }
}
