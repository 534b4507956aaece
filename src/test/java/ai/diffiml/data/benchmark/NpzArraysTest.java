package ai.diffiml.data.benchmark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NumPy .npz masks as FantasticReality ships them: types, shapes, Fortran order and damaged files. */
class NpzArraysTest {
    @TempDir
    Path dir;

    /** Writes a .npz with one .npy entry (format version 1.0, header padded to 64 bytes as NumPy does). */
    static Path npz(Path file, String name, String descr, String shape, boolean fortran, byte[] data)
            throws IOException {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': "
                + shape + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII)).put(data);
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry(name + ".npy"));
            zip.write(b.array());
            zip.closeEntry();
        }
        return file;
    }

    @Test
    void readsBooleanIntegerAndFloatArraysInCAndFortranOrder() throws Exception {
        NpzArrays.Array2d c = NpzArrays.read(npz(dir.resolve("c.npz"), "arr_0", "|b1", "(2, 3)", false,
                new byte[] {1, 0, 0, 0, 1, 1}), "arr_0");
        assertEquals(2, c.rows());
        assertEquals(3, c.cols());
        assertArrayEquals(new double[] {1, 0, 0, 0, 1, 1}, c.values());
        // Fortran order stores columns first: [[1, 2, 3], [4, 5, 6]] is written 1 4 2 5 3 6
        ByteBuffer f = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : new int[] {1, 4, 2, 5, 3, 6}) {
            f.putInt(v);
        }
        NpzArrays.Array2d fortran = NpzArrays.read(npz(dir.resolve("f.npz"), "arr_0", "<i4", "(2, 3, 1)", true,
                f.array()), "arr_0");
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, fortran.values());
        ByteBuffer fl = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putFloat(0.25f).putFloat(-1f);
        assertArrayEquals(new double[] {0.25, -1}, NpzArrays.read(npz(dir.resolve("b.npz"), "arr_0", ">f4", "(1, 2)",
                false, fl.array()), "arr_0").values());
    }

    @Test
    void damagedOrUnexpectedArraysAreErrorsNamingTheFile() throws Exception {
        Path threeD = npz(dir.resolve("3d.npz"), "arr_0", "|u1", "(2, 2, 2)", false, new byte[8]);
        IOException e = assertThrows(IOException.class, () -> NpzArrays.read(threeD, "arr_0"));
        assertTrue(e.getMessage().startsWith(threeD + ": expected a 2-D mask"), e.getMessage());
        Path shortData = npz(dir.resolve("short.npz"), "arr_0", "|u1", "(4, 4)", false, new byte[3]);
        e = assertThrows(IOException.class, () -> NpzArrays.read(shortData, "arr_0"));
        assertTrue(e.getMessage().contains("truncated .npy data"), e.getMessage());
        e = assertThrows(IOException.class, () -> NpzArrays.read(shortData, "mask"));
        assertTrue(e.getMessage().contains("no array 'mask'"), e.getMessage());
        Path notZip = Files.writeString(dir.resolve("x.npz"), "hello");
        e = assertThrows(IOException.class, () -> NpzArrays.read(notZip, "arr_0"));
        assertTrue(e.getMessage().startsWith(notZip.toString()), e.getMessage());
    }
}
