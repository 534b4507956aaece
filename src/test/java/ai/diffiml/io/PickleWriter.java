package ai.diffiml.io;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-only pickler that writes what CPython's {@code pickle.Pickler} writes for the objects {@code torch.save}
 * pickles, the way torch.save drives it: strings, ints, floats, bools, None, tuples, lists, dicts, OrderedDicts
 * (via {@code save_reduce(OrderedDict, (), state, None, items)}), tensors (via
 * {@code save_reduce(torch._utils._rebuild_tensor_v2, (storage, offset, size, stride, False, OrderedDict()))}) whose
 * storages become persistent ids {@code ('storage', torch.<Type>Storage, key, 'cpu', numel)}, and parameters.
 * Protocol 2 (torch's default: GLOBAL, BINPUT/LONG_BINPUT) or 4 (one FRAME, SHORT_BINUNICODE, STACK_GLOBAL,
 * MEMOIZE). Like CPython, it memoizes every string, non-empty tuple, list, dict, global and reduce result, and
 * writes a GET for repeats (strings are matched by value, as interned constants are in torch's code).
 */
final class PickleWriter {
    /** A Python tuple. */
    record Tuple(Object... items) {}

    /** A Python global (class or function), pickled by name. */
    record Global(String module, String name) {}

    /** {@code func(*args)} pickled by REDUCE: how a malicious pickle calls {@code os.system}. */
    record Call(Global func, Tuple args) {}

    /** A torch storage: the raw bytes of entry {@code data/<key>}, {@code numel} elements of {@code torch.<type>}. */
    record Storage(String key, String type, long numel, byte[] bytes) {}

    /** A tensor view of a storage. */
    record TensorRef(Storage storage, long offset, int[] size, int[] stride) {}

    /** An nn.Parameter around a tensor. */
    record Parameter(TensorRef data) {}

    /**
     * An instance of a plain Python class (such as {@code argparse.Namespace}), pickled as protocol 2+ does through
     * {@code copyreg.__newobj__}: the class, an empty tuple, NEWOBJ, then its {@code __dict__} and BUILD.
     */
    record PyObject(Global cls, Map<String, Object> attributes) {}

    /** A collections.OrderedDict, optionally with instance attributes (state_dict's {@code _metadata}). */
    static final class OrderedDict extends LinkedHashMap<Object, Object> {
        final Map<Object, Object> attributes = new LinkedHashMap<>();
    }

    static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    static final Global REBUILD_TENSOR = new Global("torch._utils", "_rebuild_tensor_v2");
    static final Global REBUILD_PARAMETER = new Global("torch._utils", "_rebuild_parameter");

    private final int protocol;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Map<Object, Integer> memoByValue = new HashMap<>();
    private final Map<Object, Integer> memoByIdentity = new IdentityHashMap<>();
    /** Storages met while pickling, by key, in the order torch.save writes them. */
    final Map<String, Storage> storages = new LinkedHashMap<>();

    PickleWriter(int protocol) {
        if (protocol != 2 && protocol != 4) {
            throw new IllegalArgumentException("protocol 2 or 4");
        }
        this.protocol = protocol;
    }

    /** The complete pickle of {@code obj}: PROTO, (FRAME,) the object, STOP. */
    byte[] dump(Object obj) {
        save(obj);
        out.write('.');
        byte[] body = out.toByteArray();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(0x80);
        all.write(protocol);
        if (protocol >= 4) {
            all.write(0x95);
            writeLong(all, body.length);
        }
        all.writeBytes(body);
        return all.toByteArray();
    }

    private void save(Object obj) {
        if (obj instanceof Storage s) { // persistent_id is asked first, before the memo
            Storage seen = storages.putIfAbsent(s.key(), s);
            if (seen != null && seen != s) {
                throw new IllegalArgumentException("two storages with key " + s.key());
            }
            save(new Tuple("storage", new Global("torch", s.type()), s.key(), "cpu", s.numel()));
            out.write('Q');
            return;
        }
        if (getFromMemo(obj)) {
            return;
        }
        if (obj == null) {
            out.write('N');
        } else if (obj instanceof Boolean b) {
            out.write(b ? 0x88 : 0x89);
        } else if (obj instanceof Integer || obj instanceof Long) {
            saveInt(((Number) obj).longValue());
        } else if (obj instanceof Double d) {
            out.write('G');
            long bits = Double.doubleToLongBits(d);
            for (int i = 7; i >= 0; i--) {
                out.write((int) (bits >>> (8 * i)));
            }
        } else if (obj instanceof String s) {
            saveString(s);
            memoize(obj);
        } else if (obj instanceof Tuple t) {
            saveTuple(t);
        } else if (obj instanceof Global g) {
            if (protocol >= 4) {
                save(g.module());
                save(g.name());
                out.write(0x93);
            } else {
                out.write('c');
                out.writeBytes((g.module() + "\n" + g.name() + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            memoize(obj);
        } else if (obj instanceof OrderedDict od) {
            saveReduce(ORDERED_DICT, new Tuple(), obj);
            saveItems(od);
            if (!od.attributes.isEmpty()) {
                LinkedHashMap<Object, Object> state = new LinkedHashMap<>(od.attributes);
                save(state);
                out.write('b');
            }
        } else if (obj instanceof Map<?, ?> m) {
            out.write('}');
            memoize(obj);
            saveItems(m);
        } else if (obj instanceof List<?> l) {
            out.write(']');
            memoize(obj);
            if (l.size() == 1) {
                save(l.get(0));
                out.write('a');
            } else if (!l.isEmpty()) {
                out.write('(');
                l.forEach(this::save);
                out.write('e');
            }
        } else if (obj instanceof TensorRef t) {
            saveReduce(REBUILD_TENSOR, new Tuple(t.storage(), t.offset(), ints(t.size()), ints(t.stride()), false,
                    new OrderedDict()), obj);
        } else if (obj instanceof Parameter p) {
            saveReduce(REBUILD_PARAMETER, new Tuple(p.data(), true, new OrderedDict()), obj);
        } else if (obj instanceof PyObject o) {
            save(o.cls());
            out.write(')');
            out.write(0x81); // NEWOBJ
            memoize(obj);
            save(new LinkedHashMap<Object, Object>(o.attributes()));
            out.write('b');
        } else if (obj instanceof Call c) {
            saveReduce(c.func(), c.args(), obj);
        } else {
            throw new IllegalArgumentException("cannot pickle " + obj.getClass());
        }
    }

    private static Tuple ints(int[] v) {
        Object[] items = new Object[v.length];
        for (int i = 0; i < v.length; i++) {
            items[i] = (long) v[i];
        }
        return new Tuple(items);
    }

    private void saveReduce(Global func, Tuple args, Object obj) {
        save(func);
        save(args);
        out.write('R');
        memoize(obj);
    }

    private void saveItems(Map<?, ?> m) {
        List<Map.Entry<?, ?>> items = new ArrayList<>(m.entrySet());
        for (int from = 0; from < items.size(); from += 1000) { // CPython's _BATCHSIZE
            List<Map.Entry<?, ?>> batch = items.subList(from, Math.min(items.size(), from + 1000));
            if (batch.size() == 1) {
                save(batch.get(0).getKey());
                save(batch.get(0).getValue());
                out.write('s');
            } else {
                out.write('(');
                for (Map.Entry<?, ?> e : batch) {
                    save(e.getKey());
                    save(e.getValue());
                }
                out.write('u');
            }
        }
    }

    private void saveTuple(Tuple t) {
        Object[] items = t.items();
        if (items.length == 0) {
            out.write(')'); // the empty tuple is a singleton: never memoized
            return;
        }
        if (items.length <= 3) {
            for (Object o : items) {
                save(o);
            }
            out.write(0x84 + items.length); // TUPLE1..3
        } else {
            out.write('(');
            for (Object o : items) {
                save(o);
            }
            out.write('t');
        }
        memoize(t);
    }

    private void saveInt(long v) {
        if (v >= 0 && v < 256) {
            out.write('K');
            out.write((int) v);
        } else if (v >= 0 && v < 65536) {
            out.write('M');
            out.write((int) v);
            out.write((int) (v >>> 8));
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            out.write('J');
            int32((int) v);
        } else {
            byte[] be = java.math.BigInteger.valueOf(v).toByteArray(); // minimal two's complement
            out.write(0x8a);
            out.write(be.length);
            for (int i = be.length - 1; i >= 0; i--) {
                out.write(be[i]);
            }
        }
    }

    private void saveString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (protocol >= 4 && b.length < 256) {
            out.write(0x8c);
            out.write(b.length);
        } else {
            out.write('X');
            int32(b.length);
        }
        out.writeBytes(b);
    }

    private boolean byValue(Object obj) {
        return obj instanceof String || obj instanceof Global;
    }

    private boolean getFromMemo(Object obj) {
        Integer idx = obj == null ? null : byValue(obj) ? memoByValue.get(obj) : memoByIdentity.get(obj);
        if (idx == null) {
            return false;
        }
        if (idx < 256) {
            out.write('h');
            out.write(idx);
        } else {
            out.write('j');
            int32(idx);
        }
        return true;
    }

    private void memoize(Object obj) {
        int idx = memoByValue.size() + memoByIdentity.size();
        if (protocol >= 4) {
            out.write(0x94);
        } else if (idx < 256) {
            out.write('q');
            out.write(idx);
        } else {
            out.write('r');
            int32(idx);
        }
        (byValue(obj) ? memoByValue : memoByIdentity).put(obj, idx);
    }

    private void int32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write(v >>> (8 * i));
        }
    }

    private static void writeLong(ByteArrayOutputStream o, long v) {
        for (int i = 0; i < 8; i++) {
            o.write((int) (v >>> (8 * i)));
        }
    }
}
