package ai.diffiml.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reader and writer of the safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then
 * the data section. The JSON object maps each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}}
 * (byte offsets into the data section, little-endian row-major data) and may hold a {@code "__metadata__"} object of
 * string to string.
 *
 * <p>Reading validates the whole header before decoding anything: the header length against the file size (and a
 * 100 MB cap), well-formed JSON with no duplicate names, known dtypes (F32, F16, BF16, F64 read as float32; I64, I32
 * read as long), non-negative shapes, offsets inside the data section whose length equals the element count times
 * the element size, and no two tensors overlapping. Gaps between tensors are tolerated. Errors are
 * {@link WeightFileException}s naming the file and the tensor.
 *
 * <p>Writing stores floating-point tensors as F32 and integer tensors as I64, packed in the order given, with the
 * header padded by spaces to a multiple of 8 bytes (as the reference implementation does). It is atomic: the bytes
 * go to a temporary file in the same folder, which is flushed to disk and then renamed over the target, so a reader
 * sees the old file or the complete new one, and a failed write leaves nothing behind.
 */
public final class Safetensors {
    /** The key of the optional string-to-string metadata object in the header. */
    public static final String METADATA_KEY = "__metadata__";
    /** Headers longer than this are refused, as the reference implementation does. */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final int CHUNK = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Safetensors() {}

    /** Everything in a safetensors file: the tensors in header order and the metadata (empty when absent). */
    public record Contents(Path file, Map<String, LoadedTensor> tensors, Map<String, String> metadata) {
        /** The tensor called {@code name}; throws naming the file when there is none. */
        public LoadedTensor get(String name) throws WeightFileException {
            LoadedTensor t = tensors.get(name);
            if (t == null) {
                throw new WeightFileException(file, "no tensor named '" + name + "' (" + tensors.size() + " tensors)");
            }
            return t;
        }
    }

    /** One header entry, validated. */
    private record Entry(String name, FileDType dtype, int[] shape, long numel, long begin, long end) {}

    /** Reads and validates the whole file; see the class comment for what is checked. */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, ch.size(), ch::read);
        } catch (WeightFileException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new WeightFileException(file, "no such file", e);
        } catch (AccessDeniedException e) {
            throw new WeightFileException(file, "permission denied", e);
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read: " + e, e);
        }
    }

    /**
     * {@link #read(Path)} on the bytes of a safetensors file already in memory (e.g. a download, or a fuzzer's
     * input); {@code file} names them in errors. The same checks, the same errors.
     */
    public static Contents read(Path file, byte[] bytes) throws IOException {
        return read(file, bytes.length, (dst, position) -> {
            if (position >= bytes.length) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), bytes.length - position);
            dst.put(bytes, (int) position, n);
            return n;
        });
    }

    /** Positional reads from a file or from memory: like {@link FileChannel#read(ByteBuffer, long)}. */
    @FunctionalInterface
    private interface Source {
        int read(ByteBuffer dst, long position) throws IOException;
    }

    private static Contents read(Path file, long size, Source ch) throws IOException {
        if (size < 8) {
            throw new WeightFileException(file, "file is " + size + " bytes, too short for the 8-byte header length");
        }
        ByteBuffer lenBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBytes, 0, file);
        long headerLen = lenBytes.getLong(0);
        if (headerLen < 0 || headerLen > size - 8) {
            throw new WeightFileException(file, "header length " + Long.toUnsignedString(headerLen)
                    + " does not fit in the file (" + size + " bytes): truncated or not a safetensors file");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw new WeightFileException(file, "header length " + headerLen + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLen);
        readFully(ch, headerBytes, 8, file);
        long dataStart = 8 + headerLen;
        long dataLen = size - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = parseHeader(file, headerBytes.array(), dataLen, metadata);
        checkOverlaps(file, entries);

        Map<String, LoadedTensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            tensors.put(e.name, decode(file, ch, dataStart, e));
        }
        return new Contents(file, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static List<Entry> parseHeader(Path file, byte[] header, long dataLen, Map<String, String> metadata)
            throws WeightFileException {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw new WeightFileException(file, "header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new WeightFileException(file, "header is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new WeightFileException(file, "header is not a JSON object");
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : (Iterable<Map.Entry<String, JsonNode>>) root::fields) {
            String name = field.getKey();
            JsonNode v = field.getValue();
            if (name.equals(METADATA_KEY)) {
                if (!v.isObject()) {
                    throw new WeightFileException(file, METADATA_KEY + " is not a JSON object");
                }
                for (Map.Entry<String, JsonNode> m : (Iterable<Map.Entry<String, JsonNode>>) v::fields) {
                    if (!m.getValue().isTextual()) {
                        throw new WeightFileException(file, METADATA_KEY + " value of '" + m.getKey()
                                + "' is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().textValue());
                }
                continue;
            }
            entries.add(parseEntry(file, name, v, dataLen));
        }
        return entries;
    }

    private static Entry parseEntry(Path file, String name, JsonNode v, long dataLen) throws WeightFileException {
        String where = "tensor '" + name + "'";
        if (!v.isObject()) {
            throw new WeightFileException(file, where + ": header entry is not a JSON object");
        }
        JsonNode dt = v.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw new WeightFileException(file, where + ": missing or non-string \"dtype\"");
        }
        FileDType dtype = FileDType.ofSafetensors(dt.textValue());
        if (dtype == null) {
            throw new WeightFileException(file, where + ": unknown or unsupported dtype \"" + dt.textValue()
                    + "\" (supported: " + Arrays.toString(FileDType.values()) + ")");
        }
        JsonNode sh = v.get("shape");
        if (sh == null || !sh.isArray()) {
            throw new WeightFileException(file, where + ": missing or non-array \"shape\"");
        }
        int[] shape = new int[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = nonNegativeLong(file, where, "shape", sh.get(i));
            if (d > Integer.MAX_VALUE) {
                throw new WeightFileException(file, where + ": dimension " + d + " of shape " + sh + " is too large");
            }
            shape[i] = (int) d;
            numel = multiplyCapped(numel, d);
        }
        JsonNode off = v.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw new WeightFileException(file, where + ": \"data_offsets\" must be an array [begin, end]");
        }
        long begin = nonNegativeLong(file, where, "data_offsets", off.get(0));
        long end = nonNegativeLong(file, where, "data_offsets", off.get(1));
        if (begin > end) {
            throw new WeightFileException(file,
                    where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end > dataLen) {
            throw new WeightFileException(file, where + ": data_offsets [" + begin + ", " + end
                    + "] run past the end of the data section (" + dataLen + " bytes): file truncated or header wrong");
        }
        long expected = multiplyCapped(numel, dtype.bytes);
        if (end - begin != expected) {
            throw new WeightFileException(file, where + ": data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes but shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + expected);
        }
        if (numel > LoadedTensor.MAX_ELEMENTS) {
            throw new WeightFileException(file, where + ": " + numel + " elements exceed what a Java array holds");
        }
        return new Entry(name, dtype, shape, numel, begin, end);
    }

    private static long nonNegativeLong(Path file, String where, String field, JsonNode n) throws WeightFileException {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
            throw new WeightFileException(file, where + ": \"" + field + "\" holds " + n
                    + ", not a non-negative integer");
        }
        return n.longValue();
    }

    /** a * b for non-negative operands, saturating at Long.MAX_VALUE (which every later check refuses). */
    private static long multiplyCapped(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    private static void checkOverlaps(Path file, List<Entry> entries) throws WeightFileException {
        List<Entry> sorted = new ArrayList<>();
        for (Entry e : entries) {
            if (e.end > e.begin) {
                sorted.add(e);
            }
        }
        sorted.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin < a.end) {
                throw new WeightFileException(file, "tensor '" + b.name + "' data_offsets [" + b.begin + ", " + b.end
                        + "] overlap tensor '" + a.name + "' [" + a.begin + ", " + a.end + "]");
            }
        }
    }

    private static LoadedTensor decode(Path file, Source ch, long dataStart, Entry e) throws IOException {
        int n = (int) e.numel;
        int size = e.dtype.bytes;
        float[] floats = e.dtype.integer ? null : new float[n];
        long[] longs = e.dtype.integer ? new long[n] : null;
        // a buffer of at most CHUNK bytes, and no larger than the tensor (a file of many small tensors)
        int perChunk = Math.max(1, Math.min(n, CHUNK / size));
        ByteBuffer buf = ByteBuffer.allocate(perChunk * size).order(ByteOrder.LITTLE_ENDIAN);
        for (int first = 0; first < n; first += perChunk) {
            int count = Math.min(perChunk, n - first);
            buf.clear().limit(count * size);
            readFully(ch, buf, dataStart + e.begin + (long) first * size, file);
            for (int i = 0; i < count; i++) {
                if (floats != null) {
                    floats[first + i] = e.dtype.floatAt(buf, i * size);
                } else {
                    longs[first + i] = e.dtype.longAt(buf, i * size);
                }
            }
        }
        return LoadedTensor.decoded(e.name, e.shape, e.dtype, floats, longs);
    }

    private static void readFully(Source ch, ByteBuffer dst, long position, Path file) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) {
                throw new WeightFileException(file, "unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }

    /** Writes {@code tensors} with no metadata; see {@link #write(Path, Collection, Map)}. */
    public static void write(Path file, Collection<LoadedTensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} (floating point as F32, integers as I64, in iteration order) and the string
     * {@code metadata} (omitted when empty) to {@code file}, atomically replacing any existing file. Names must be
     * unique, non-empty and not {@value #METADATA_KEY}.
     */
    public static void write(Path file, Collection<LoadedTensor> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA_KEY);
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                if (m.getKey() == null || m.getValue() == null) {
                    throw new WeightFileException(file, "metadata key or value is null: " + m);
                }
                meta.put(m.getKey(), m.getValue());
            }
        }
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (LoadedTensor t : tensors) {
            String name = t.name();
            if (name.isEmpty() || name.equals(METADATA_KEY) || !names.add(name)) {
                throw new WeightFileException(file, "tensor name '" + name + "' is empty, reserved or repeated");
            }
            long bytes = t.numel() * (t.isInteger() ? 8 : 4);
            ObjectNode entry = header.putObject(name);
            entry.put("dtype", t.isInteger() ? "I64" : "F32");
            ArrayNode shape = entry.putArray("shape");
            for (int d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        writeAtomically(file, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
            writeAll(ch, len);
            writeAll(ch, ByteBuffer.wrap(headerBytes));
            ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (LoadedTensor t : tensors) {
                if (t.isInteger()) {
                    for (long v : t.longs()) {
                        if (buf.remaining() < 8) {
                            flush(ch, buf);
                        }
                        buf.putLong(v);
                    }
                } else {
                    for (float v : t.floats()) {
                        if (buf.remaining() < 4) {
                            flush(ch, buf);
                        }
                        buf.putFloat(v);
                    }
                }
            }
            flush(ch, buf);
        });
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        writeAll(ch, buf);
        buf.clear();
    }

    private static void writeAll(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Writes the body of a file through a channel. */
    @FunctionalInterface
    interface Body {
        void write(FileChannel ch) throws IOException;
    }

    /**
     * Runs {@code body} on a fresh temporary file next to {@code file}, forces it to disk, renames it over
     * {@code file} and syncs the folder (best effort: not every platform can open a folder). On any failure the
     * temporary file is deleted and the target is left as it was.
     */
    static void writeAtomically(Path file, Body body) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp;
        while (true) {
            String random = Long.toHexString(ThreadLocalRandom.current().nextLong());
            tmp = dir.resolve("." + target.getFileName() + "." + random + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                break;
            } catch (FileAlreadyExistsException e) {
                // a name collision with another writer: draw again
            } catch (IOException e) {
                throw new WeightFileException(file, "cannot create a temporary file in " + dir + ": " + e, e);
            }
        }
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                body.write(ch);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightFileException(file, "write failed, file left unchanged: " + e, e);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // the failure being thrown is the one to report
                }
            }
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Folders cannot be opened for sync on some platforms; the rename itself is still atomic there.
        }
    }
}
