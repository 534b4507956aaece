package ai.diffiml.io;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test-only writer of torch.save's zip container, entry for entry as PyTorch 2.x writes it: {@code data.pkl},
 * {@code .format_version}, {@code .storage_alignment}, {@code byteorder}, {@code data/<key>} per storage,
 * {@code version}, {@code .data/serialization_id}; every entry STORED (uncompressed) with its data aligned to 64
 * bytes by an "FB" padding extra field, as PyTorch's writer does.
 */
final class TorchZip {
    private final Map<String, byte[]> entries = new LinkedHashMap<>();
    private final String folder;

    TorchZip(String folder) {
        this.folder = folder;
    }

    /** The standard archive of a pickle and its storages (little-endian unless {@code byteorder} says otherwise). */
    static TorchZip standard(String folder, byte[] pickle, Map<String, PickleWriter.Storage> storages,
            String byteorder) {
        TorchZip z = new TorchZip(folder);
        z.put("data.pkl", pickle);
        z.put(".format_version", ascii("1"));
        z.put(".storage_alignment", ascii("64"));
        if (byteorder != null) {
            z.put("byteorder", ascii(byteorder));
        }
        for (PickleWriter.Storage s : storages.values()) {
            z.put("data/" + s.key(), s.bytes());
        }
        z.put("version", ascii("3\n"));
        z.put(".data/serialization_id", ascii("1130917219212893426317263091264567612453"));
        return z;
    }

    /** Adds (or replaces) entry {@code folder/name}. */
    TorchZip put(String name, byte[] bytes) {
        entries.put(folder + "/" + name, bytes);
        return this;
    }

    /** Removes entry {@code folder/name}. */
    TorchZip remove(String name) {
        if (entries.remove(folder + "/" + name) == null) {
            throw new IllegalArgumentException("no entry " + name);
        }
        return this;
    }

    void write(Path file) throws IOException {
        try (Counting counting = new Counting(Files.newOutputStream(file));
                ZipOutputStream zip = new ZipOutputStream(counting)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                byte[] data = e.getValue();
                ZipEntry z = new ZipEntry(e.getKey());
                z.setMethod(ZipEntry.STORED);
                z.setSize(data.length);
                z.setCompressedSize(data.length);
                CRC32 crc = new CRC32();
                crc.update(data);
                z.setCrc(crc.getValue());
                long dataStart = counting.count + 30 + name.length + 4;
                int pad = (int) ((64 - dataStart % 64) % 64);
                byte[] extra = new byte[4 + pad];
                extra[0] = 'F';
                extra[1] = 'B';
                extra[2] = (byte) pad;
                extra[3] = (byte) (pad >>> 8);
                z.setExtra(extra);
                zip.putNextEntry(z);
                zip.write(data);
                zip.closeEntry();
            }
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] f32(ByteOrder order, float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(order);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    static byte[] f64(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) {
            b.putDouble(x);
        }
        return b.array();
    }

    /** Raw 16-bit patterns (half or bfloat16), little-endian. */
    static byte[] u16(int... bits) {
        ByteBuffer b = ByteBuffer.allocate(2 * bits.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : bits) {
            b.putShort((short) x);
        }
        return b.array();
    }

    static byte[] i64(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    static byte[] i32(int... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) {
            b.putInt(x);
        }
        return b.array();
    }

    /** Counts the bytes written, to place each entry's data on a 64-byte boundary. */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
