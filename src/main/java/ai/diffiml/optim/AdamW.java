package ai.diffiml.optim;

import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.OptimKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with torch.optim.AdamW's arithmetic: for every parameter p whose gradient g is present,
 *
 * <pre>
 *   p  = p * (1 - lr * wd)                 decoupled weight decay, per group
 *   m  = b1 * m + (1 - b1) * g
 *   v  = b2 * v + (1 - b2) * g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 *
 * one fused native kernel ({@code dml_adamw_step}) per parameter tensor, on the parameter's device. As in PyTorch,
 * a parameter with no gradient ({@link Tensor#grad()} null) is skipped entirely (no decay, no moment update), and
 * t counts the updates that parameter itself has received. Parameters come in {@link ParamGroup groups}, each with
 * its own weight decay and learning-rate multiplier; {@link #decayGroups} builds the usual pair.
 *
 * <p>The moments are allocated when the optimiser is made (zeros, owned by no scope) and freed by {@link #close()}.
 * {@link #state(Tensor)} exposes them, with the update count, so that checkpoints can save and restore them.
 */
public final class AdamW implements AutoCloseable {
    public static final float DEFAULT_BETA1 = 0.9f;
    public static final float DEFAULT_BETA2 = 0.999f;
    public static final float DEFAULT_EPS = 1e-8f;

    /**
     * Parameters that share a weight decay and a learning-rate multiplier (the group's learning rate is the
     * optimiser's times {@code lrScale}, so schedules set one value).
     */
    public record ParamGroup(String name, List<Tensor> params, float weightDecay, float lrScale) {
        public ParamGroup {
            if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
                throw new IllegalArgumentException("AdamW group " + name + ": weight decay must be >= 0, got "
                        + weightDecay);
            }
            if (!(lrScale >= 0) || !Float.isFinite(lrScale)) {
                throw new IllegalArgumentException("AdamW group " + name + ": lr multiplier must be >= 0, got "
                        + lrScale);
            }
            params = List.copyOf(params);
        }

        public static ParamGroup of(String name, List<Tensor> params, float weightDecay) {
            return new ParamGroup(name, params, weightDecay, 1f);
        }
    }

    /** Optimiser state of one parameter: first and second moments (same shape and device) and its update count. */
    public static final class State {
        private final Tensor expAvg;
        private final Tensor expAvgSq;
        private long step;

        private State(Tensor expAvg, Tensor expAvgSq) {
            this.expAvg = expAvg;
            this.expAvgSq = expAvgSq;
        }

        private static State zeros(Tensor param) {
            Tensor m = Tensor.detachedEmpty(param.device(), param.shape());
            try {
                return new State(m.fill(0f), Tensor.detachedEmpty(param.device(), param.shape()).fill(0f));
            } catch (RuntimeException | OutOfMemoryError e) {
                m.close();
                throw e;
            }
        }

        private void close() {
            expAvg.close();
            expAvgSq.close();
        }

        /** First moment m (torch: exp_avg). */
        public Tensor expAvg() {
            return expAvg;
        }

        /** Second moment v (torch: exp_avg_sq). */
        public Tensor expAvgSq() {
            return expAvgSq;
        }

        /** Number of updates this parameter has received (torch: state["step"]). */
        public long step() {
            return step;
        }

        /** Restores the update count, e.g. from a checkpoint (the moments are restored by copying into them). */
        public void setStep(long step) {
            if (step < 0) {
                throw new IllegalArgumentException("AdamW state: step must be >= 0, got " + step);
            }
            this.step = step;
        }
    }

    private final List<ParamGroup> groups;
    private final List<Tensor> params = new ArrayList<>();
    private final Map<Tensor, State> states = new IdentityHashMap<>();
    private final float beta1;
    private final float beta2;
    private final float eps;
    private float lr;
    private long stepCount;
    private boolean closed;

    /** AdamW with PyTorch's default betas (0.9, 0.999) and eps (1e-8). */
    public AdamW(List<ParamGroup> groups, float lr) {
        this(groups, lr, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPS);
    }

    public AdamW(List<ParamGroup> groups, float lr, float beta1, float beta2, float eps) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW: betas must lie in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0) || !Float.isFinite(eps)) {
            throw new IllegalArgumentException("AdamW: eps must be positive, got " + eps);
        }
        setLr(lr);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.groups = List.copyOf(groups);
        for (ParamGroup group : this.groups) {
            for (Tensor p : group.params()) {
                if (!p.requiresGrad()) {
                    throw new IllegalArgumentException("AdamW group " + group.name() + ": parameter " + p.describe()
                            + " does not require grad");
                }
                if (params.contains(p)) {
                    throw new IllegalArgumentException("AdamW: parameter " + p.describe()
                            + " appears more than once");
                }
                params.add(p);
            }
        }
        if (params.isEmpty()) {
            throw new IllegalArgumentException("AdamW: no parameters to optimise");
        }
        try {
            for (Tensor p : params) {
                states.put(p, State.zeros(p));
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            close();
            throw e;
        }
    }

    /**
     * The usual two groups from named parameters, in the map's iteration order: "decay" (weight decay
     * {@code weightDecay}) and "no_decay" (none) for biases and normalisation weights, i.e. parameters of rank
     * &lt;= 1 or whose name ends with ".bias". Parameters that do not require grad (frozen) are left out.
     */
    public static List<ParamGroup> decayGroups(Map<String, Tensor> named, float weightDecay) {
        List<Tensor> decay = new ArrayList<>();
        List<Tensor> noDecay = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : named.entrySet()) {
            Tensor p = e.getValue();
            if (p.requiresGrad()) {
                (decays(e.getKey(), p) ? decay : noDecay).add(p);
            }
        }
        return List.of(ParamGroup.of("decay", decay, weightDecay), ParamGroup.of("no_decay", noDecay, 0f));
    }

    /** The rule of {@link #decayGroups}: false for biases and normalisation weights. */
    public static boolean decays(String name, Tensor param) {
        return param.rank() > 1 && !name.endsWith(".bias");
    }

    /**
     * One update of every parameter that has a gradient. The gradients are read, not cleared: call
     * {@link #zeroGrad()} before the next backward pass.
     */
    public void step() {
        requireOpen("step");
        for (ParamGroup group : groups) {
            float groupLr = (float) ((double) lr * group.lrScale());
            for (Tensor p : group.params()) {
                Tensor g = p.grad();
                if (g == null) {
                    continue;
                }
                if (!Arrays.equals(p.shape(), g.shape()) || p.device() != g.device()) {
                    throw new IllegalArgumentException("AdamW step: gradient " + g.describe()
                            + " does not match parameter " + p.describe());
                }
                State s = states.get(p);
                long t = s.step + 1;
                Native.check(OptimKernels.dml_adamw_step(p.device().code, p.address(), g.address(),
                        s.expAvg.address(), s.expAvgSq.address(), p.numel(), groupLr, beta1, beta2, eps,
                        group.weightDecay(), t), "AdamW step " + p.describe() + " (group " + group.name() + ")");
                s.step = t;
            }
        }
        stepCount++;
    }

    /** Closes and clears the gradients of all parameters (PyTorch's zero_grad(set_to_none=True)). */
    public void zeroGrad() {
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g != null) {
                g.close();
                p.setGrad(null);
            }
        }
    }

    /** The state of {@code param}, which must be one of this optimiser's parameters. */
    public State state(Tensor param) {
        requireOpen("state");
        State s = states.get(param);
        if (s == null) {
            throw new IllegalArgumentException("AdamW: " + param.describe() + " is not one of its parameters");
        }
        return s;
    }

    /** All parameters, group by group. */
    public List<Tensor> parameters() {
        return Collections.unmodifiableList(params);
    }

    public List<ParamGroup> groups() {
        return groups;
    }

    public float lr() {
        return lr;
    }

    /** Sets the base learning rate (for schedules); each group uses it times its multiplier. */
    public void setLr(float lr) {
        if (!(lr >= 0) || !Float.isFinite(lr)) {
            throw new IllegalArgumentException("AdamW: learning rate must be >= 0, got " + lr);
        }
        this.lr = lr;
    }

    public float beta1() {
        return beta1;
    }

    public float beta2() {
        return beta2;
    }

    public float eps() {
        return eps;
    }

    /** Number of {@link #step()} calls so far. */
    public long stepCount() {
        return stepCount;
    }

    /** Restores the step count, e.g. from a checkpoint. */
    public void setStepCount(long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("AdamW: step count must be >= 0, got " + steps);
        }
        this.stepCount = steps;
    }

    /** Frees the moment tensors. Idempotent; the optimiser cannot step afterwards. */
    @Override
    public void close() {
        closed = true;
        for (State s : states.values()) {
            s.close();
        }
    }

    private void requireOpen(String what) {
        if (closed) {
            throw new IllegalStateException("AdamW " + what + ": the optimiser was closed");
        }
    }
}
