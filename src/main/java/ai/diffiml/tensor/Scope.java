package ai.diffiml.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Deterministic release of native memory. Every tensor created while a scope is open on this thread belongs to
 * the innermost one and is freed when it closes, unless {@link #keep kept}: then it moves to the enclosing scope,
 * or becomes unowned (the caller closes it) when there is none. Tensors made with no scope open are unowned.
 *
 * <pre>{@code
 * try (Scope step = Scope.open()) {
 *     Tensor loss = model.loss(batch);
 *     Tape.backward(loss);
 *     optimizer.step();
 * } // every activation and intermediate gradient of the step is freed here
 * }</pre>
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Deque<Scope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> owned = new ArrayList<>();
    private boolean closed;

    private Scope() {}

    public static Scope open() {
        Scope scope = new Scope();
        STACK.get().push(scope);
        return scope;
    }

    /** The innermost open scope of this thread, or null. */
    static Scope current() {
        return STACK.get().peek();
    }

    void adopt(Tensor t) {
        owned.add(t);
    }

    void disown(Tensor t) {
        int i = owned.lastIndexOf(t);
        if (i >= 0) {
            owned.remove(i);
        }
    }

    /** Takes {@code t} out of this scope and hands it to the enclosing one (or to the caller); returns it. */
    public Tensor keep(Tensor t) {
        int i = owned.lastIndexOf(t);
        if (i >= 0) {
            owned.remove(i);
            Scope parent = parent();
            if (parent != null) {
                parent.adopt(t);
            }
        }
        return t;
    }

    private Scope parent() {
        boolean seen = false;
        for (Scope s : STACK.get()) {
            if (seen) {
                return s;
            }
            seen = s == this;
        }
        return null;
    }

    /** Number of tensors this scope currently owns (for tests and leak checks). */
    public int size() {
        return owned.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Deque<Scope> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("scopes must close in reverse order of opening");
        }
        stack.pop();
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
    }
}
