package ai.diffiml.io;

import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle virtual machine for the binary protocols 2 to 5 that builds only data: None, bools, ints ({@code Long},
 * or {@code BigInteger} beyond 64 bits), floats ({@code Double}), str, bytes ({@code byte[]}), lists
 * ({@code ArrayList}), tuples (unmodifiable {@code List}), dicts ({@code LinkedHashMap}, insertion order kept) and
 * sets ({@code LinkedHashSet}). It never imports or calls anything: GLOBAL and STACK_GLOBAL yield a {@link PyGlobal}
 * marker only when {@link Semantics#allowed} says so, and refuse with {@link ForbiddenGlobalException} otherwise;
 * REDUCE, BUILD, BINPERSID and NEWOBJ hand allowed markers to the caller's {@link Semantics}, which decides what they
 * build (NEWOBJ only for the plain data classes it {@link Semantics#constructs accepts}). Opcodes that construct
 * arbitrary objects (INST, OBJ, NEWOBJ of any other class, NEWOBJ_EX, the extension registry EXT1/2/4),
 * out-of-band buffers and the text protocol 0 are refused as unsupported.
 *
 * <p>Every error is a {@link WeightFileException} naming the file, the pickle entry and the byte position.
 */
final class RestrictedUnpickler {
    /** An allow-listed global named by the pickle: a marker, callable only through {@link Semantics#reduce}. */
    record PyGlobal(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** What the caller's format gives meaning to. Methods throw {@link PickleError} to refuse. */
    interface Semantics {
        /** Whether the global {@code module.name} may appear at all. */
        boolean allowed(String module, String name);

        /** The object for a BINPERSID persistent id. */
        Object persistentLoad(Object pid);

        /** The result of REDUCE: {@code callable(*args)}. */
        Object reduce(PyGlobal callable, List<Object> args);

        /** The result of BUILD: {@code instance} after {@code __setstate__(state)}. */
        Object build(Object instance, Object state);

        /**
         * Whether NEWOBJ may create an instance of the allowed class {@code cls}: only plain data classes whose
         * instance is nothing but its attribute dict (set later by BUILD). False unless a format says otherwise.
         */
        default boolean constructs(PyGlobal cls) {
            return false;
        }

        /** The result of NEWOBJ: {@code cls.__new__(cls, *args)} for a class {@link #constructs} accepts. */
        default Object newObject(PyGlobal cls, List<Object> args) {
            throw new PickleError("NEWOBJ of " + cls + " is not supported");
        }
    }

    /** Refusal raised by {@link Semantics} methods; the unpickler adds file and position. */
    static class PickleError extends RuntimeException {
        PickleError(String message) {
            super(message);
        }
    }

    private static final int HIGHEST_PROTOCOL = 5;

    private final Path file;
    private final String entry;
    private final byte[] data;
    private final Semantics semantics;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int pos;
    private int opStart;

    RestrictedUnpickler(Path file, String entry, byte[] data, Semantics semantics) {
        this.file = file;
        this.entry = entry;
        this.data = data;
        this.semantics = semantics;
    }

    /** A Python tuple: an unmodifiable list (nulls allowed). */
    static List<Object> tuple(Object... items) {
        return Collections.unmodifiableList(Arrays.asList(items));
    }

    /** Runs the pickle to its STOP and returns the top of the stack. */
    Object load() throws WeightFileException {
        try {
            while (true) {
                opStart = pos;
                int op = u8();
                switch (op) {
                    case 0x80 -> { // PROTO
                        int v = u8();
                        if (v > HIGHEST_PROTOCOL) {
                            throw fail("pickle protocol " + v + " is newer than " + HIGHEST_PROTOCOL);
                        }
                    }
                    case 0x95 -> { // FRAME: a length hint; the framed opcodes follow inline
                        long n = u64();
                        if (n < 0 || n > data.length - pos) {
                            throw fail("FRAME of " + Long.toUnsignedString(n) + " bytes runs past the end");
                        }
                    }
                    case '.' -> { // STOP
                        Object result = pop();
                        if (!marks.isEmpty()) {
                            throw fail("STOP with an unclosed MARK");
                        }
                        return result;
                    }
                    case '(' -> marks.add(stack.size()); // MARK
                    case '0' -> pop(); // POP
                    case '1' -> popMark(); // POP_MARK
                    case '2' -> push(peek()); // DUP
                    case 'N' -> push(null);
                    case 0x88 -> push(Boolean.TRUE);
                    case 0x89 -> push(Boolean.FALSE);
                    case 'J' -> push((long) i32()); // BININT
                    case 'K' -> push((long) u8()); // BININT1
                    case 'M' -> push((long) u16()); // BININT2
                    case 0x8a -> push(longFromBytes(bytes(u8()))); // LONG1
                    case 0x8b -> push(longFromBytes(bytes(length(i32())))); // LONG4
                    case 'G' -> push(Double.longBitsToDouble(u64BigEndian())); // BINFLOAT (big-endian)
                    case 'X' -> push(utf8(bytes(length(i32())))); // BINUNICODE
                    case 0x8c -> push(utf8(bytes(u8()))); // SHORT_BINUNICODE
                    case 0x8d -> push(utf8(bytes(length(u64())))); // BINUNICODE8
                    case 'B' -> push(bytes(length(i32()))); // BINBYTES
                    case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                    case 0x8e -> push(bytes(length(u64()))); // BINBYTES8
                    case 0x96 -> push(bytes(length(u64()))); // BYTEARRAY8
                    case ')' -> push(tuple()); // EMPTY_TUPLE
                    case 0x85 -> push(tuple(pop())); // TUPLE1
                    case 0x86 -> { // TUPLE2
                        Object b = pop(), a = pop();
                        push(tuple(a, b));
                    }
                    case 0x87 -> { // TUPLE3
                        Object c = pop(), b = pop(), a = pop();
                        push(tuple(a, b, c));
                    }
                    case 't' -> push(tuple(popMark().toArray())); // TUPLE
                    case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                    case 'l' -> push(new ArrayList<>(popMark())); // LIST
                    case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                    case 'd' -> push(dictOf(popMark())); // DICT
                    case 0x8f -> push(new LinkedHashSet<>()); // EMPTY_SET
                    case 0x91 -> { // FROZENSET
                        push(Collections.unmodifiableSet(new LinkedHashSet<>(hashable(popMark()))));
                    }
                    case 0x90 -> { // ADDITEMS
                        List<Object> items = popMark();
                        asSet(peek(), "ADDITEMS").addAll(hashable(items));
                    }
                    case 'a' -> { // APPEND
                        Object v = pop();
                        asList(peek(), "APPEND").add(v);
                    }
                    case 'e' -> { // APPENDS
                        List<Object> items = popMark();
                        asList(peek(), "APPENDS").addAll(items);
                    }
                    case 's' -> { // SETITEM
                        Object v = pop(), k = pop();
                        asDict(peek(), "SETITEM").put(hashable(k), v);
                    }
                    case 'u' -> { // SETITEMS
                        List<Object> kv = popMark();
                        asDict(peek(), "SETITEMS").putAll(dictOf(kv));
                    }
                    case 'q' -> memo.put((long) u8(), peek()); // BINPUT
                    case 'r' -> memo.put(u32(), peek()); // LONG_BINPUT
                    case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                    case 'h' -> push(memoGet(u8())); // BINGET
                    case 'j' -> push(memoGet(u32())); // LONG_BINGET
                    case 'c' -> push(global(line(), line())); // GLOBAL
                    case 0x93 -> { // STACK_GLOBAL
                        Object name = pop(), module = pop();
                        if (!(module instanceof String m) || !(name instanceof String n)) {
                            throw fail("STACK_GLOBAL needs two strings, got " + describe(module) + " and "
                                    + describe(name));
                        }
                        push(global(m, n));
                    }
                    case 'R' -> { // REDUCE
                        Object args = pop(), callable = pop();
                        if (!(callable instanceof PyGlobal g)) {
                            throw fail("REDUCE calls " + describe(callable) + ", which is not an allowed global");
                        }
                        if (!(args instanceof List<?> a) || !isTuple(a)) {
                            throw fail("REDUCE of " + callable + " with arguments " + describe(args)
                                    + " instead of a tuple");
                        }
                        @SuppressWarnings("unchecked")
                        List<Object> argList = (List<Object>) a;
                        push(semantics.reduce(g, argList));
                    }
                    case 'b' -> { // BUILD
                        Object state = pop();
                        push(semantics.build(pop(), state));
                    }
                    case 'Q' -> push(semantics.persistentLoad(pop())); // BINPERSID
                    case 0x81 -> push(newObject()); // NEWOBJ
                    default -> throw fail("unsupported pickle opcode " + opName(op)
                            + " (only data, tensors and allow-listed globals are read)");
                }
            }
        } catch (PickleError e) {
            if (e instanceof Refusal r) {
                throw new ForbiddenGlobalException(file, r.global, where() + r.getMessage());
            }
            throw new WeightFileException(file, where() + e.getMessage());
        }
    }

    /**
     * NEWOBJ: {@code cls.__new__(cls, *args)}, how protocol 2+ pickles an instance of a plain Python class (such as
     * the {@code argparse.Namespace} training scripts save next to the weights). Only classes the semantics
     * {@link Semantics#constructs construct} are accepted; anything else is an unsupported opcode.
     */
    private Object newObject() {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        int n = stack.size();
        if (n - floor >= 2 && stack.get(n - 2) instanceof PyGlobal cls && stack.get(n - 1) instanceof List<?> a
                && isTuple(a) && semantics.constructs(cls)) {
            pop();
            pop();
            @SuppressWarnings("unchecked")
            List<Object> args = (List<Object>) a;
            return semantics.newObject(cls, args);
        }
        throw fail("unsupported pickle opcode " + opName(0x81)
                + " (only data, tensors and allow-listed globals are read)");
    }

    /** A refused global, carried out of the opcode loop. */
    private static final class Refusal extends PickleError {
        final String global;

        Refusal(String global, String message) {
            super(message);
            this.global = global;
        }
    }

    private String where() {
        return entry + " byte " + opStart + ": ";
    }

    private PickleError fail(String message) {
        return new PickleError(message);
    }

    private PyGlobal global(String module, String name) {
        if (!semantics.allowed(module, name)) {
            throw new Refusal(module + "." + name, "refused global " + module + "." + name
                    + ": not on the allow-list of a weights-only reader (nothing was executed)");
        }
        return new PyGlobal(module, name);
    }

    private static boolean isTuple(List<?> l) {
        return !(l instanceof ArrayList);
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) {
            throw fail("stack underflow at opcode " + opName(data[opStart] & 0xff));
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) {
            throw fail("empty stack at opcode " + opName(data[opStart] & 0xff));
        }
        return stack.get(stack.size() - 1);
    }

    /** The items above the topmost MARK, removed from the stack (with the mark). */
    private List<Object> popMark() {
        if (marks.isEmpty()) {
            throw fail("opcode " + opName(data[opStart] & 0xff) + " without a MARK");
        }
        int from = marks.remove(marks.size() - 1);
        List<Object> view = stack.subList(from, stack.size());
        List<Object> items = new ArrayList<>(view);
        view.clear();
        return items;
    }

    private Object memoGet(long index) {
        if (!memo.containsKey(index)) {
            throw fail("memo entry " + index + " read before it was stored");
        }
        return memo.get(index);
    }

    private Map<Object, Object> dictOf(List<Object> kv) {
        if (kv.size() % 2 != 0) {
            throw fail("odd number of items (" + kv.size() + ") for dict keys and values");
        }
        Map<Object, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.size(); i += 2) {
            m.put(hashable(kv.get(i)), kv.get(i + 1));
        }
        return m;
    }

    /**
     * {@code key} if it may be a dict key or set item, else a refusal. Mutable containers are not hashable in Python.
     * Of the hashable values, this reader takes scalars (None, bools, ints, floats, str, bytes) and tuples of
     * scalars, which is all a state dict or a training script's metadata uses as keys: nested tuples and frozensets
     * as keys are refused too, because Java hashes them recursively and without caching, so a pickle of a few KB
     * nesting tuples thousands deep, or sharing one tuple at every level, would overflow the stack or never finish.
     */
    static Object hashable(Object key) {
        if (key instanceof ArrayList || key instanceof Map || key instanceof LinkedHashSet) {
            throw new PickleError("unhashable " + describe(key) + " used as a dict key or set item");
        }
        if (key instanceof List<?> tuple) {
            for (Object item : tuple) {
                if (!isScalar(item)) {
                    throw new PickleError("a tuple holding " + describe(item) + " used as a dict key or set item"
                            + " (this reader takes scalars and tuples of scalars as keys)");
                }
            }
        } else if (!isScalar(key)) {
            throw new PickleError(describe(key) + " used as a dict key or set item (this reader takes scalars and"
                    + " tuples of scalars as keys)");
        }
        return key;
    }

    private static boolean isScalar(Object o) {
        return o == null || o instanceof Boolean || o instanceof Long || o instanceof BigInteger
                || o instanceof Double || o instanceof String || o instanceof byte[];
    }

    private static List<Object> hashable(List<Object> items) {
        items.forEach(RestrictedUnpickler::hashable);
        return items;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> asDict(Object o, String op) {
        if (!(o instanceof LinkedHashMap)) {
            throw fail(op + " on " + describe(o) + ", not a dict");
        }
        return (Map<Object, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private List<Object> asList(Object o, String op) {
        if (!(o instanceof ArrayList)) {
            throw fail(op + " on " + describe(o) + ", not a list");
        }
        return (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    private Set<Object> asSet(Object o, String op) {
        if (!(o instanceof LinkedHashSet)) {
            throw fail(op + " on " + describe(o) + ", not a set");
        }
        return (Set<Object>) o;
    }

    /** A short description of a pickled value's type for error messages. */
    static String describe(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof List<?> l) {
            return (isTuple(l) ? "a tuple" : "a list") + " of " + l.size();
        }
        if (o instanceof Map<?, ?>) {
            return "a dict";
        }
        if (o instanceof String s) {
            return "the string '" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
        }
        if (o instanceof PyGlobal g) {
            return "the global " + g;
        }
        return "a " + o.getClass().getSimpleName();
    }

    // ---- byte readers ----

    private void need(long n) {
        if (n > data.length - pos) {
            throw fail("pickle truncated: opcode " + opName(data[opStart] & 0xff) + " needs " + n
                    + " more bytes, " + (data.length - pos) + " left");
        }
    }

    private int u8() {
        if (pos >= data.length) {
            throw fail("pickle ends without STOP (truncated)");
        }
        return data[pos++] & 0xff;
    }

    private int u16() {
        need(2);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    private int i32() {
        need(4);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8 | (data[pos + 2] & 0xff) << 16
                | (data[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    private long u32() {
        return i32() & 0xffffffffL;
    }

    private long u64() {
        need(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (data[pos + i] & 0xff);
        }
        pos += 8;
        return v;
    }

    private long u64BigEndian() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (data[pos + i] & 0xff);
        }
        pos += 8;
        return v;
    }

    /** A length field, checked to be non-negative and to fit in what is left. */
    private int length(long n) {
        if (n < 0 || n > data.length - pos) {
            throw fail("pickle truncated or corrupt: opcode " + opName(data[opStart] & 0xff) + " declares "
                    + Long.toUnsignedString(n) + " bytes, " + (data.length - pos) + " left");
        }
        return (int) n;
    }

    private byte[] bytes(int n) {
        need(n);
        byte[] b = Arrays.copyOfRange(data, pos, pos + n);
        pos += n;
        return b;
    }

    /** A newline-terminated ASCII line (GLOBAL's module and name). */
    private String line() {
        for (int i = pos; i < data.length; i++) {
            if (data[i] == '\n') {
                String s = new String(data, pos, i - pos, StandardCharsets.US_ASCII);
                pos = i + 1;
                return s;
            }
        }
        throw fail("pickle truncated: GLOBAL without a newline-terminated name");
    }

    private String utf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw fail("string is not valid UTF-8");
        }
    }

    /** Python's LONG1/LONG4 payload: little-endian two's complement; Long when it fits. */
    private static Object longFromBytes(byte[] le) {
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private static String opName(int op) {
        String name = switch (op) {
            case 'I' -> "INT";
            case 'L' -> "LONG";
            case 'F' -> "FLOAT";
            case 'S' -> "STRING";
            case 'T' -> "BINSTRING";
            case 'U' -> "SHORT_BINSTRING";
            case 'V' -> "UNICODE";
            case 'P' -> "PERSID";
            case 'g' -> "GET";
            case 'p' -> "PUT";
            case 'i' -> "INST";
            case 'o' -> "OBJ";
            case 0x81 -> "NEWOBJ";
            case 0x92 -> "NEWOBJ_EX";
            case 0x82 -> "EXT1";
            case 0x83 -> "EXT2";
            case 0x84 -> "EXT4";
            case 0x97 -> "NEXT_BUFFER";
            case 0x98 -> "READONLY_BUFFER";
            case 'R' -> "REDUCE";
            case 'b' -> "BUILD";
            case 'Q' -> "BINPERSID";
            case '.' -> "STOP";
            case 'a' -> "APPEND";
            case 's' -> "SETITEM";
            case 0x93 -> "STACK_GLOBAL";
            case '0' -> "POP";
            case '2' -> "DUP";
            default -> null;
        };
        String hex = String.format("0x%02x", op);
        return name != null ? name + " (" + hex + ")" : hex;
    }
}
