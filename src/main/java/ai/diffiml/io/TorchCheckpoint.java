package ai.diffiml.io;

import ai.diffiml.io.RestrictedUnpickler.PickleError;
import ai.diffiml.io.RestrictedUnpickler.PyGlobal;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reader of PyTorch {@code torch.save} checkpoints in the zip format (PyTorch 1.6 and later): one top folder of any
 * name holding {@code data.pkl} (the pickled object), {@code data/<key>} (one raw entry per storage),
 * {@code byteorder} ({@code little} or {@code big}; little when absent) and {@code version}. The pickle is run by a
 * restricted unpickler that builds only data (see {@link RestrictedUnpickler}) and tensors; nothing from the file is
 * ever executed or imported.
 *
 * <p>The allow-list of Python globals is exactly what a saved state dict needs:
 * <ul>
 *   <li>{@code collections.OrderedDict}: {@code state_dict()} returns one, and every tensor's (empty) backward-hook
 *       dict is one;</li>
 *   <li>{@code torch._utils._rebuild_tensor_v2}: how a plain tensor pickles itself, from (storage, storage offset,
 *       size, stride, requires_grad, backward hooks[, metadata]);</li>
 *   <li>{@code torch._utils._rebuild_parameter}: how an {@code nn.Parameter} pickles itself, around such a tensor
 *       (checkpoints saved with {@code keep_vars=True} or holding parameters directly);</li>
 *   <li>{@code torch.FloatStorage}, {@code HalfStorage}, {@code BFloat16Storage}, {@code DoubleStorage},
 *       {@code LongStorage}, {@code IntStorage}: the storage type inside each persistent id
 *       {@code ('storage', type, key, location, numel)}; they only name the element type and are never called.</li>
 * </ul>
 * One plain data class is accepted besides: {@code argparse.Namespace}, which training scripts (IMDL-BenCo's
 * {@code save_model} among them) store next to the weights as {@code 'args'}. It is rebuilt as a {@link Namespace}
 * of its attributes (NEWOBJ with no arguments, then BUILD with a dict of str keys); nothing of argparse is run.
 * Deliberately left out: {@code torch.storage.UntypedStorage} (written only when a bare untyped storage is saved,
 * never for tensors), {@code torch._tensor._rebuild_from_type_v2} (tensor subclasses or tensors carrying Python
 * attributes), {@code builtins.set} and {@code _codecs.encode} (sets and protocol-2 bytes, absent from state dicts),
 * and every other global, e.g. {@code os.system}, {@code builtins.eval}, {@code subprocess.Popen}: those raise
 * {@link ForbiddenGlobalException} naming the file and the global. Other storage types (bool, int8, uint8, int16,
 * complex, float8) are refused the same way.
 *
 * <p>Tensors become {@link LoadedTensor}s: the elements selected by offset, size and stride are gathered from the
 * storage (so non-contiguous tensors and tensors sharing one storage each get their own contiguous copy), floating
 * types as float32 and integer types as long. Each storage entry is read once, however many tensors share it;
 * a single storage must be under 2 GB. Sizes are checked before anything is allocated: the tensors of one file may
 * hold at most {@value #EXPANDED_ELEMENTS} elements more than its storages (only expanded, stride-0 views hold more
 * than their storage), and a state dict nests at most {@value #MAX_DEPTH} containers deep; dict keys are scalars or
 * tuples of scalars. The state dict's {@code _metadata} attribute (per-module version numbers,
 * set by BUILD) is not kept.
 */
public final class TorchCheckpoint {
    private static final String TORCH_UTILS = "torch._utils";
    private static final String REBUILD_TENSOR = "_rebuild_tensor_v2";
    private static final String REBUILD_PARAMETER = "_rebuild_parameter";
    private static final String ORDERED_DICT = "OrderedDict";
    private static final String ARGPARSE = "argparse";
    private static final String NAMESPACE = "Namespace";
    /** Wrapper keys under which training scripts commonly store the state dict, in the order they are tried. */
    private static final List<String> STATE_DICT_KEYS = List.of("state_dict", "model_state_dict", "model");
    /** Deepest nesting of containers in a state dict (real ones nest a few levels). */
    static final int MAX_DEPTH = 100;
    /** Most values walked while flattening a state dict. */
    static final long MAX_VISITS = 10_000_000;
    /**
     * Elements the tensors of one file may hold beyond the elements of its storages: tensors are views of storages,
     * so only overlapping views (stride 0, from {@code expand}) can hold more, and a pickle of a few bytes could
     * otherwise ask for billions of elements over a one-element storage.
     */
    static final long EXPANDED_ELEMENTS = 1L << 24;

    private final Path file;
    private final Object root;

    /**
     * An {@code argparse.Namespace} read from the pickle: its attributes by name, in the pickle's order (values as
     * in {@link #root()}). Compared by identity, like the Python object.
     */
    public static final class Namespace {
        private final Map<String, Object> attributes = new LinkedHashMap<>();

        /** The attributes, read-only. */
        public Map<String, Object> attributes() {
            return Collections.unmodifiableMap(attributes);
        }

        @Override
        public String toString() {
            return "Namespace" + attributes.keySet();
        }
    }

    private TorchCheckpoint(Path file, Object root) {
        this.file = file;
        this.root = root;
    }

    /**
     * Reads the checkpoint: validates the archive, runs the restricted unpickler over {@code data.pkl} and rebuilds
     * every tensor. Errors are {@link WeightFileException}s naming the file and the entry or global concerned.
     */
    public static TorchCheckpoint read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new WeightFileException(file, Files.exists(file) ? "not a regular file" : "no such file");
        }
        try (ZipFile zip = openZip(file)) {
            String prefix = archivePrefix(file, zip);
            ByteOrder order = byteOrder(file, zip, prefix);
            ZipEntry pkl = zip.getEntry(prefix + "data.pkl");
            byte[] pickle = readEntry(file, zip, pkl);
            Storages storages = new Storages(name -> {
                ZipEntry e = zip.getEntry(name);
                return e == null ? null : readEntry(zip, e);
            }, prefix, order);
            Object root = new RestrictedUnpickler(file, pkl.getName(), pickle, storages).load();
            return new TorchCheckpoint(file, root);
        }
    }

    /**
     * The pickle step of {@link #read} on its own, for a pickle and storage entries already in memory (the fuzz
     * target of the unpickler, which would otherwise spend most of its time writing and opening zip files):
     * {@code pickle} is {@code folder/data.pkl}, {@code storages} maps storage keys to the bytes of
     * {@code folder/data/<key>}. The same checks and errors as {@link #read}, naming {@code file}.
     */
    static TorchCheckpoint readPickle(Path file, String folder, byte[] pickle, Map<String, byte[]> storages,
            ByteOrder order) throws IOException {
        String prefix = folder + "/";
        Storages s = new Storages(name -> name.startsWith(prefix + "data/")
                ? storages.get(name.substring(prefix.length() + "data/".length())) : null, prefix, order);
        return new TorchCheckpoint(file, new RestrictedUnpickler(file, prefix + "data.pkl", pickle, s).load());
    }

    /** Reads {@code file} and returns its state dict; see {@link #stateDict()}. */
    public static Map<String, LoadedTensor> loadStateDict(Path file) throws IOException {
        return read(file).stateDict();
    }

    /** The file this checkpoint was read from. */
    public Path file() {
        return file;
    }

    /**
     * The unpickled top-level object: dicts are {@code Map<Object, Object>} in insertion order, lists
     * {@code ArrayList}, tuples unmodifiable {@code List}, sets {@code Set}, tensors {@link LoadedTensor} (unnamed),
     * and primitives {@code null}, {@code Boolean}, {@code Long}/{@code BigInteger}, {@code Double}, {@code String},
     * {@code byte[]}; an {@code argparse.Namespace} is a {@link Namespace}. A storage saved on its own or an allowed class saved as a value (neither occurs in a state
     * dict) appears as an opaque object whose {@code toString} says what it is.
     */
    public Object root() {
        return root;
    }

    /**
     * The tensors of the state dict, flattened to dotted names in insertion order. The state dict is the top-level
     * dict's {@code "state_dict"}, {@code "model_state_dict"} or {@code "model"} entry (the first of these that is a
     * dict), or else the top-level dict itself. Nested dicts and lists extend the name with {@code .key} or
     * {@code .index}; values that are not tensors (numbers, strings, None) are skipped. Throws when the top level is
     * not a dict, when it holds no tensor, or when two paths flatten to one name.
     */
    public Map<String, LoadedTensor> stateDict() throws WeightFileException {
        if (!(root instanceof Map<?, ?> top)) {
            throw new WeightFileException(file, "top-level object is " + RestrictedUnpickler.describe(root)
                    + ", not a state dict");
        }
        Map<?, ?> sd = top;
        for (String key : STATE_DICT_KEYS) {
            if (top.get(key) instanceof Map<?, ?> inner) {
                sd = inner;
                break;
            }
        }
        Map<String, LoadedTensor> out = new LinkedHashMap<>();
        flatten("", sd, out, new IdentityHashMap<>(), new long[1]);
        if (out.isEmpty()) {
            throw new WeightFileException(file, "no tensors in the state dict (top-level keys: " + top.keySet() + ")");
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Depth-first flattening; {@code path} maps the containers being walked to their names, to refuse cycles, and
     * bounds the depth ({@value #MAX_DEPTH}); {@code visits} counts the values walked, bounded by
     * {@value #MAX_VISITS} (a pickle that shares one container at every level would otherwise be walked 2^depth
     * times).
     */
    private void flatten(String prefix, Object value, Map<String, LoadedTensor> out, Map<Object, String> path,
            long[] visits) throws WeightFileException {
        if (++visits[0] > MAX_VISITS) {
            throw new WeightFileException(file, "the state dict holds more than " + MAX_VISITS
                    + " values (containers shared many times over?): not a state dict this reader takes");
        }
        if (path.size() > MAX_DEPTH) {
            throw new WeightFileException(file, "'" + abbreviate(prefix) + "' is nested more than " + MAX_DEPTH
                    + " containers deep: not a state dict this reader takes");
        }
        if (value instanceof LoadedTensor t) {
            if (out.putIfAbsent(prefix, t.withName(prefix)) != null) {
                throw new WeightFileException(file, "two tensors flatten to the name '" + prefix + "'");
            }
            return;
        }
        if (!(value instanceof Map) && !(value instanceof List)) {
            return;
        }
        String seen = path.putIfAbsent(value, prefix);
        if (seen != null) {
            throw new WeightFileException(file, "'" + prefix + "' refers back to its container '" + seen
                    + "': a cycle");
        }
        if (value instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                flatten(join(prefix, String.valueOf(e.getKey())), e.getValue(), out, path, visits);
            }
        } else {
            List<?> l = (List<?>) value;
            for (int i = 0; i < l.size(); i++) {
                flatten(join(prefix, Integer.toString(i)), l.get(i), out, path, visits);
            }
        }
        path.remove(value);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static String join(String prefix, String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    // ---- archive ----

    private static ZipFile openZip(Path file) throws WeightFileException {
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new WeightFileException(file, "not a readable zip archive (" + e.getMessage()
                    + "): truncated, or not a torch.save file of PyTorch 1.6 or later", e);
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot open: " + e, e);
        }
    }

    /** The top folder holding data.pkl, with its trailing slash. */
    private static String archivePrefix(Path file, ZipFile zip) throws WeightFileException {
        List<String> prefixes = new ArrayList<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            String name = en.nextElement().getName();
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                prefixes.add(name.substring(0, slash + 1));
            }
        }
        if (prefixes.isEmpty()) {
            throw new WeightFileException(file, "no <folder>/data.pkl entry in the zip: not a torch.save checkpoint");
        }
        if (prefixes.size() > 1) {
            throw new WeightFileException(file, "several data.pkl entries " + prefixes + ": ambiguous checkpoint");
        }
        return prefixes.get(0);
    }

    private static ByteOrder byteOrder(Path file, ZipFile zip, String prefix) throws WeightFileException {
        ZipEntry e = zip.getEntry(prefix + "byteorder");
        if (e == null) {
            return ByteOrder.LITTLE_ENDIAN; // PyTorch before 1.10 wrote none and was little-endian only
        }
        String s = new String(readEntry(file, zip, e), StandardCharsets.US_ASCII).trim();
        return switch (s) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new WeightFileException(file, e.getName() + " says '" + s + "', not little or big");
        };
    }

    private static byte[] readEntry(Path file, ZipFile zip, ZipEntry e) throws WeightFileException {
        try {
            return readEntry(zip, e);
        } catch (IOException ex) {
            throw new WeightFileException(file, ex.getMessage(), ex);
        }
    }

    /** The entry's bytes; the IOException's message names the entry and what is wrong (not the file). */
    private static byte[] readEntry(ZipFile zip, ZipEntry e) throws IOException {
        if (e.getSize() > LoadedTensor.MAX_ELEMENTS) {
            throw new IOException("entry " + e.getName() + " is " + e.getSize()
                    + " bytes, over the 2 GB this reader handles per entry");
        }
        try (InputStream in = zip.getInputStream(e)) {
            // One byte more than declared, so that an entry inflating past its size is caught without reading on.
            byte[] b = e.getSize() >= 0 ? in.readNBytes((int) e.getSize() + 1) : in.readAllBytes();
            if (e.getSize() >= 0 && b.length != e.getSize()) {
                throw new IOException("entry " + e.getName() + " has " + b.length + " bytes, its zip header says "
                        + e.getSize());
            }
            return b;
        } catch (ZipException ex) {
            throw new IOException("entry " + e.getName() + " is corrupt: " + ex.getMessage(), ex);
        }
    }

    // ---- tensors ----

    /** A storage named by a persistent id: its element type and raw bytes (read once, shared by its tensors). */
    private record Storage(String key, String entry, FileDType dtype, long numel, ByteBuffer bytes) {
        @Override
        public String toString() {
            return "storage '" + key + "' (" + entry + ", " + numel + " x " + dtype + ")";
        }
    }

    /** The bytes of an archive's entry by name, or null when there is none; messages name the entry. */
    @FunctionalInterface
    private interface Entries {
        byte[] read(String name) throws IOException;
    }

    /** The torch semantics of the allowed globals, BUILD and persistent ids, over one open archive. */
    private static final class Storages implements RestrictedUnpickler.Semantics {
        private final Entries zip;
        private final String prefix;
        private final ByteOrder order;
        private final Map<String, Storage> loaded = new HashMap<>();
        /** Elements of the storages loaded, and of the tensors rebuilt so far. */
        private long storageElements, tensorElements;

        Storages(Entries zip, String prefix, ByteOrder order) {
            this.zip = zip;
            this.prefix = prefix;
            this.order = order;
        }

        @Override
        public boolean allowed(String module, String name) {
            return switch (module) {
                case "collections" -> name.equals(ORDERED_DICT);
                case TORCH_UTILS -> name.equals(REBUILD_TENSOR) || name.equals(REBUILD_PARAMETER);
                case "torch" -> FileDType.ofTorchStorage(name) != null;
                case ARGPARSE -> name.equals(NAMESPACE);
                default -> false;
            };
        }

        @Override
        public boolean constructs(PyGlobal cls) {
            return cls.module().equals(ARGPARSE) && cls.name().equals(NAMESPACE);
        }

        @Override
        public Object newObject(PyGlobal cls, List<Object> args) {
            if (!args.isEmpty()) {
                throw new PickleError("NEWOBJ of " + cls + " with " + RestrictedUnpickler.describe(args)
                        + " instead of no arguments");
            }
            return new Namespace();
        }

        @Override
        public Object persistentLoad(Object pid) {
            if (!(pid instanceof List<?> id) || id.size() != 5 || !"storage".equals(id.get(0))) {
                throw new PickleError("persistent id " + RestrictedUnpickler.describe(pid)
                        + " is not ('storage', type, key, location, numel)");
            }
            if (!(id.get(1) instanceof PyGlobal type) || !type.module().equals("torch")) {
                throw new PickleError("persistent id names " + RestrictedUnpickler.describe(id.get(1))
                        + " instead of a torch storage type");
            }
            FileDType dtype = FileDType.ofTorchStorage(type.name());
            if (!(id.get(2) instanceof String key) || key.isEmpty() || key.contains("/")) {
                throw new PickleError("persistent id has storage key " + RestrictedUnpickler.describe(id.get(2)));
            }
            if (!(id.get(3) instanceof String)) {
                throw new PickleError("storage '" + key + "' has location " + RestrictedUnpickler.describe(id.get(3)));
            }
            if (!(id.get(4) instanceof Long numel) || numel < 0) {
                throw new PickleError("storage '" + key + "' has element count " + id.get(4));
            }
            Storage s = loaded.get(key);
            if (s == null) {
                s = load(key, dtype, numel);
                loaded.put(key, s);
            } else if (s.dtype != dtype || s.numel != numel) {
                throw new PickleError("storage '" + key + "' is referenced as " + numel + " x " + dtype
                        + " and as " + s.numel + " x " + s.dtype);
            }
            return s;
        }

        private Storage load(String key, FileDType dtype, long numel) {
            String name = prefix + "data/" + key;
            byte[] b;
            try {
                b = zip.read(name);
            } catch (IOException ex) {
                throw new PickleError(ex.getMessage());
            }
            if (b == null) {
                throw new PickleError("storage '" + key + "' is missing: no entry " + name + " in the archive");
            }
            if (b.length % dtype.bytes != 0 || numel != b.length / dtype.bytes) { // no overflowing numel * bytes
                throw new PickleError("storage entry " + name + " has " + b.length + " bytes but its persistent id"
                        + " declares " + numel + " x " + dtype + " ("
                        + BigInteger.valueOf(numel).multiply(BigInteger.valueOf(dtype.bytes)) + " bytes)");
            }
            storageElements += numel;
            return new Storage(key, name, dtype, numel, ByteBuffer.wrap(b).order(order));
        }

        @Override
        public Object reduce(PyGlobal callable, List<Object> args) {
            String g = callable.toString();
            switch (g) {
                case "collections." + ORDERED_DICT:
                    return orderedDict(args);
                case TORCH_UTILS + "." + REBUILD_TENSOR:
                    return rebuildTensor(args);
                case TORCH_UTILS + "." + REBUILD_PARAMETER:
                    if (args.size() != 3 || !(args.get(0) instanceof LoadedTensor t)) {
                        throw new PickleError(g + " expects (tensor, requires_grad, hooks), got "
                                + RestrictedUnpickler.describe(args));
                    }
                    requireNoHooks(g, args.get(2));
                    return t;
                case ARGPARSE + "." + NAMESPACE:
                    throw new PickleError(g + " may only be rebuilt by NEWOBJ and BUILD, not called");
                default:
                    throw new PickleError(g + " is a storage type; it may only appear inside a persistent id");
            }
        }

        private static Map<Object, Object> orderedDict(List<Object> args) {
            Map<Object, Object> m = new LinkedHashMap<>();
            if (args.isEmpty()) {
                return m;
            }
            if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
                for (Object p : pairs) {
                    if (!(p instanceof List<?> kv) || kv.size() != 2) {
                        throw new PickleError("OrderedDict item " + RestrictedUnpickler.describe(p)
                                + " is not a (key, value) pair");
                    }
                    m.put(RestrictedUnpickler.hashable(kv.get(0)), kv.get(1));
                }
                return m;
            }
            throw new PickleError("OrderedDict called with " + args.size() + " arguments");
        }

        private static void requireNoHooks(String g, Object hooks) {
            if (hooks != null && !(hooks instanceof Map<?, ?> h && h.isEmpty())) {
                throw new PickleError(g + ": backward hooks " + RestrictedUnpickler.describe(hooks)
                        + " are not supported (expected an empty OrderedDict)");
            }
        }

        private LoadedTensor rebuildTensor(List<Object> args) {
            String g = TORCH_UTILS + "." + REBUILD_TENSOR;
            if (args.size() != 6 && args.size() != 7) {
                throw new PickleError(g + " expects 6 or 7 arguments, got " + args.size());
            }
            if (!(args.get(0) instanceof Storage s)) {
                throw new PickleError(g + ": first argument is " + RestrictedUnpickler.describe(args.get(0))
                        + ", not a storage");
            }
            if (!(args.get(1) instanceof Long offset) || offset < 0) {
                throw new PickleError(g + " on " + s + ": storage offset " + args.get(1));
            }
            int[] size = intTuple(g, s, "size", args.get(2));
            int[] stride = intTuple(g, s, "stride", args.get(3));
            if (size.length != stride.length) {
                throw new PickleError(g + " on " + s + ": size has " + size.length + " dimensions, stride "
                        + stride.length);
            }
            requireNoHooks(g, args.get(5));
            if (args.size() == 7 && args.get(6) != null && !(args.get(6) instanceof Map<?, ?> md && md.isEmpty())) {
                throw new PickleError(g + " on " + s + ": tensor metadata " + RestrictedUnpickler.describe(args.get(6))
                        + " is not supported");
            }
            if (offset > s.numel) {
                throw new PickleError(g + " on " + s + ": offset " + offset + " is past the storage's end");
            }
            long numel = 1;
            long last = offset; // storage index of the last element; below 2^63 as sizes and strides are ints
            for (int i = 0; i < size.length; i++) {
                numel *= size[i];
                if (numel > LoadedTensor.MAX_ELEMENTS) {
                    throw new PickleError(g + " on " + s + ": size " + Arrays.toString(size)
                            + " exceeds what a Java array holds");
                }
                last += (long) (size[i] - 1) * stride[i];
            }
            if (numel > 0 && last >= s.numel) {
                throw new PickleError(g + " on " + s + ": offset " + offset + ", size "
                        + Arrays.toString(size) + " and stride " + Arrays.toString(stride)
                        + " reach element " + last + ", past the storage's " + s.numel);
            }
            if (tensorElements + numel > storageElements + EXPANDED_ELEMENTS) {
                throw new PickleError(g + " on " + s + ": size " + Arrays.toString(size) + " and stride "
                        + Arrays.toString(stride) + " make " + numel + " elements; with the tensors before it that is"
                        + " more than the file's storages hold (" + storageElements + ") plus " + EXPANDED_ELEMENTS
                        + " for expanded views");
            }
            tensorElements += numel;
            return gather(s, offset, size, stride, (int) numel);
        }

        private static int[] intTuple(String g, Storage s, String what, Object o) {
            if (!(o instanceof List<?> l)) {
                throw new PickleError(g + " on " + s + ": " + what + " is " + RestrictedUnpickler.describe(o));
            }
            int[] out = new int[l.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(l.get(i) instanceof Long v) || v < 0 || v > Integer.MAX_VALUE) {
                    throw new PickleError(g + " on " + s + ": " + what + " " + l + " holds an invalid entry");
                }
                out[i] = (int) (long) v;
            }
            return out;
        }

        /** Row-major copy of the strided view, walking the index like an odometer. */
        private static LoadedTensor gather(Storage s, long offset, int[] size, int[] stride, int numel) {
            FileDType t = s.dtype;
            float[] floats = t.integer ? null : new float[numel];
            long[] longs = t.integer ? new long[numel] : null;
            int rank = size.length;
            int[] idx = new int[rank];
            long at = offset;
            for (int i = 0; i < numel; i++) {
                int byteAt = (int) (at * t.bytes);
                if (floats != null) {
                    floats[i] = t.floatAt(s.bytes, byteAt);
                } else {
                    longs[i] = t.longAt(s.bytes, byteAt);
                }
                for (int d = rank - 1; d >= 0; d--) {
                    if (++idx[d] < size[d]) {
                        at += stride[d];
                        break;
                    }
                    idx[d] = 0;
                    at -= (long) (size[d] - 1) * stride[d];
                }
            }
            return LoadedTensor.decoded("", size, t, floats, longs);
        }

        @Override
        public Object build(Object instance, Object state) {
            // state_dict() OrderedDicts carry a _metadata attribute: BUILD(dict, {'_metadata': ...}). Attributes of
            // a dict are not part of its items, so they are dropped.
            if (instance instanceof LinkedHashMap && (state instanceof Map || state instanceof List)) {
                return instance;
            }
            if (instance instanceof Namespace ns && state instanceof Map<?, ?> attrs) {
                for (Map.Entry<?, ?> e : attrs.entrySet()) {
                    if (!(e.getKey() instanceof String name)) {
                        throw new PickleError("BUILD of an argparse.Namespace with attribute name "
                                + RestrictedUnpickler.describe(e.getKey()));
                    }
                    ns.attributes.put(name, e.getValue());
                }
                return ns;
            }
            throw new PickleError("BUILD of " + RestrictedUnpickler.describe(instance) + " with "
                    + RestrictedUnpickler.describe(state) + " is not supported");
        }
    }
}
