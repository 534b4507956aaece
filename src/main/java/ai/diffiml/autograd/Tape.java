package ai.diffiml.autograd;

import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ElementwiseKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The autograd tape of this thread. Forward ops {@link #record} what their backward needs; {@link #backward}
 * replays the records in reverse, handing each its output's gradient, and accumulates gradients of leaves
 * (tensors that require grad and were not produced by a recorded op, i.e. parameters) into {@link Tensor#grad()}.
 * Intermediate gradients are ordinary tensors of the current scope; leaf gradients live until the leaf is closed.
 */
public final class Tape {
    private static final ThreadLocal<Tape> CURRENT = ThreadLocal.withInitial(Tape::new);

    private record Entry(String op, Tensor output, Tensor[] inputs, Backward backward, String key) {}

    private final List<Entry> entries = new ArrayList<>();
    private final Map<Tensor, Boolean> produced = new IdentityHashMap<>();

    private Tape() {}

    /** True when an op on these inputs must be recorded: grad mode is on and some input requires grad. */
    public static boolean wants(Tensor... inputs) {
        if (!GradMode.enabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** Records an op (call only when {@link #wants} is true); marks {@code output} as requiring grad. */
    public static void record(String op, Tensor output, Tensor[] inputs, Backward backward) {
        Tape tape = CURRENT.get();
        output.requiresGrad(true);
        String key = null;
        if (OpProfile.enabled()) {
            key = OpProfile.key(op + " " + Shapes.str(output.shape()));
            OpProfile.forward(key);
        }
        tape.entries.add(new Entry(op, output, inputs, backward, key));
        tape.produced.put(output, Boolean.TRUE);
    }

    /** Number of records on this thread's tape. */
    public static int size() {
        return CURRENT.get().entries.size();
    }

    /** Drops all records without running them (e.g. after a forward pass whose loss is not needed). */
    public static void clear() {
        Tape tape = CURRENT.get();
        tape.entries.clear();
        tape.produced.clear();
    }

    /** Backward from a scalar (one-element) output, seeding its gradient with 1; clears the tape. */
    public static void backward(Tensor loss) {
        if (loss.numel() != 1) {
            throw new IllegalArgumentException("backward: expected a one-element loss, got " + loss.describe());
        }
        try (Tensor seed = Tensor.full(loss.device(), 1f, loss.shape())) {
            backward(loss, seed);
        }
    }

    /** Backward from {@code output} with the given output gradient; clears the tape. */
    public static void backward(Tensor output, Tensor gradOutput) {
        Shapes.requireSame("backward", output, gradOutput);
        Tape tape = CURRENT.get();
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        // Gradient tensors currently stored in `grads`: one tensor handed to two inputs is copied, so that
        // accumulating into one of them never changes the other.
        Set<Tensor> adopted = Collections.newSetFromMap(new IdentityHashMap<>());
        try (GradMode.Guard noGrad = GradMode.disabled()) {
            grads.put(output, gradOutput);
            if (!tape.produced.containsKey(output)) {
                tape.addToLeaf(output, gradOutput);
            }
            for (int i = tape.entries.size() - 1; i >= 0; i--) {
                Entry e = tape.entries.get(i);
                Tensor g = grads.remove(e.output);
                if (g == null) {
                    continue; // the loss does not depend on this op
                }
                adopted.remove(g);
                long t0 = e.key == null ? 0 : System.nanoTime();
                e.backward.apply(g, new Grads() {
                    @Override
                    public boolean needs(int k) {
                        return e.inputs[k] != null && e.inputs[k].requiresGrad();
                    }

                    @Override
                    public void add(int k, Tensor gk) {
                        Tensor input = e.inputs[k];
                        if (!Arrays.equals(input.shape(), gk.shape())) {
                            throw new IllegalStateException("backward of " + e.op + ": gradient " + gk.describe()
                                    + " does not match input " + input.describe());
                        }
                        if (tape.produced.containsKey(input)) {
                            Tensor existing = grads.get(input);
                            if (existing == null) {
                                Tensor stored = adopted.contains(gk) || gk == gradOutput ? gk.copy() : gk;
                                grads.put(input, stored);
                                adopted.add(stored);
                            } else {
                                accumulate(gk, existing, e.op);
                            }
                        } else {
                            tape.addToLeaf(input, gk);
                        }
                    }
                });
                if (e.key != null) {
                    OpProfile.backward(e.key, System.nanoTime() - t0);
                }
            }
        } finally {
            clear();
        }
    }

    private void addToLeaf(Tensor leaf, Tensor g) {
        if (!leaf.requiresGrad()) {
            return;
        }
        Tensor existing = leaf.grad();
        if (existing == null) {
            // Leaf gradients outlive the step's scope: allocate them unowned; the leaf closes them.
            Tensor fresh = unownedCopy(g, leaf.shape());
            leaf.setGrad(fresh);
        } else {
            accumulate(g, existing, "leaf gradient of " + leaf.describe());
        }
    }

    private static Tensor unownedCopy(Tensor g, int[] shape) {
        Tensor fresh = Tensor.detachedEmpty(g.device(), shape);
        fresh.copyFrom(g);
        return fresh;
    }

    private static void accumulate(Tensor src, Tensor dst, String op) {
        Native.check(ElementwiseKernels.dml_accumulate(dst.device().code, src.address(), dst.address(), dst.numel(),
                1f), "accumulate gradient (" + op + ") " + src.describe());
    }
}
