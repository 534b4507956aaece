package ai.diffiml.data.benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads a 2-D array from a NumPy {@code .npz} archive (a zip of {@code .npy} files, as {@code numpy.savez} writes
 * it), as FantasticReality stores its masks ({@code arr_0}, an H x W or 1 x H x W array). The {@code .npy} format
 * (magic {@code \x93NUMPY}, version, header length, a Python dict literal with {@code descr}, {@code fortran_order}
 * and {@code shape}, then the raw data) is read for the boolean, integer and float types; dimensions of size 1 are
 * dropped until two remain, and two must remain. No Java library on Maven Central reads it without pulling in a Kotlin or NumPy
 * runtime, and the format is small and fixed.
 */
final class NpzArrays {
    /** An H x W array as doubles, row-major. */
    record Array2d(int rows, int cols, double[] values) {}

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpzArrays() {}

    /** The array {@code name} ({@code arr_0}) of {@code file}; problems are IOExceptions naming the file. */
    static Array2d read(Path file, String name) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry entry = zip.getEntry(name + ".npy");
            if (entry == null) {
                throw new IOException(file + ": no array '" + name + "' in this .npz");
            }
            try (InputStream in = zip.getInputStream(entry)) {
                return parse(file, in.readAllBytes());
            }
        } catch (java.util.zip.ZipException e) {
            throw new IOException(file + ": not a .npz (zip) archive: " + e.getMessage(), e);
        }
    }

    static Array2d parse(Path file, byte[] b) throws IOException {
        if (b.length < 10 || (b[0] & 0xFF) != 0x93 || b[1] != 'N' || b[2] != 'U' || b[3] != 'M' || b[4] != 'P'
                || b[5] != 'Y') {
            throw new IOException(file + ": not a .npy array (bad magic)");
        }
        int major = b[6];
        ByteBuffer head = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = major == 1 ? head.getShort(8) & 0xFFFF : head.getInt(8);
        int start = major == 1 ? 10 : 12;
        if (start + headerLength > b.length) {
            throw new IOException(file + ": truncated .npy header");
        }
        String header = new String(b, start, headerLength, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IOException(file + ": unreadable .npy header: " + header.strip());
        }
        List<Integer> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            if (!part.isBlank()) {
                dims.add(Integer.parseInt(part.strip()));
            }
        }
        while (dims.size() > 2 && dims.contains(1)) { // squeeze: (1, H, W) and (H, W, 1) are H x W
            dims.remove(Integer.valueOf(1));
        }
        if (dims.size() != 2) {
            throw new IOException(file + ": expected a 2-D mask, the array has shape (" + s.group(1).strip() + ")");
        }
        int rows = dims.get(0), cols = dims.get(1), width = Integer.parseInt(d.group(3));
        char kind = d.group(2).charAt(0);
        ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        long n = (long) rows * cols;
        int dataStart = start + headerLength;
        if (dataStart + n * width > b.length) {
            throw new IOException(file + ": truncated .npy data (" + rows + " x " + cols + " of " + d.group(2) + width
                    + ")");
        }
        ByteBuffer data = ByteBuffer.wrap(b, dataStart, b.length - dataStart).slice().order(order);
        double[] values = new double[(int) n];
        boolean fortran = f.group(1).equals("True");
        for (int i = 0; i < n; i++) {
            double v = value(data, i * width, kind, width, file);
            int target = fortran ? (i % rows) * cols + i / rows : i;
            values[target] = v;
        }
        return new Array2d(rows, cols, values);
    }

    private static double value(ByteBuffer data, int at, char kind, int width, Path file) throws IOException {
        switch (kind) {
            case 'b':
                return data.get(at) != 0 ? 1 : 0;
            case 'u':
                return switch (width) {
                    case 1 -> data.get(at) & 0xFF;
                    case 2 -> data.getShort(at) & 0xFFFF;
                    case 4 -> data.getInt(at) & 0xFFFFFFFFL;
                    case 8 -> data.getLong(at);
                    default -> throw new IOException(file + ": unsupported .npy type u" + width);
                };
            case 'i':
                return switch (width) {
                    case 1 -> data.get(at);
                    case 2 -> data.getShort(at);
                    case 4 -> data.getInt(at);
                    case 8 -> data.getLong(at);
                    default -> throw new IOException(file + ": unsupported .npy type i" + width);
                };
            case 'f':
                return switch (width) {
                    case 4 -> data.getFloat(at);
                    case 8 -> data.getDouble(at);
                    default -> throw new IOException(file + ": unsupported .npy type f" + width);
                };
            default:
                throw new IOException(file + ": unsupported .npy type " + kind + width);
        }
    }
}
