package ai.diffiml.eval.robustness;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which attacks at which strengths a robustness sweep runs, parsed from a spec such as
 * {@code jpeg:50..100,blur:3..23,noise:3..23}: comma-separated {@code kind:strengths}, each kind at most once, where
 * strengths are
 * <ul>
 *   <li>{@code a} — that one strength;</li>
 *   <li>{@code a..b} — a, a + step, ..., b with the kind's default step ({@link AttackKind#defaultStep()}: jpeg 10,
 *       blur 4, noise 4), so {@code jpeg:50..100} is 50, 60, ..., 100 and {@code blur:3..23} is 3, 7, ..., 23;</li>
 *   <li>{@code a..b/s} — the same with step s.</li>
 * </ul>
 * A range needs a &lt;= b, a step &gt;= 1, and b - a a whole number of steps (so b is always included); every
 * strength must be allowed for its kind (JPEG quality 1..100, blur kernel odd 1..255, noise variance 1..10000).
 * Whitespace around the parts is ignored. Anything else is an {@link IllegalArgumentException} saying what is wrong.
 */
public record RobustnessSpec(List<Sweep> sweeps) {
    private static final Pattern PART = Pattern.compile("([A-Za-z]+)\\s*:\\s*(\\d+)(?:\\s*\\.\\.\\s*(\\d+)"
            + "(?:\\s*/\\s*(\\d+))?)?");
    private static final String FORM = " (expected kind:a, kind:a..b or kind:a..b/step with kind jpeg, blur or"
            + " noise, e.g. jpeg:50..100,blur:3..23,noise:3..23)";

    /** One kind of attack at increasing strengths. */
    public record Sweep(AttackKind kind, List<Integer> strengths) {
        public Sweep {
            strengths = List.copyOf(strengths);
        }

        /** The attacks of this sweep, weakest first. */
        public List<Attack> attacks() {
            return strengths.stream().map(s -> new Attack(kind, s)).toList();
        }
    }

    public RobustnessSpec {
        sweeps = List.copyOf(sweeps);
    }

    /** The spec {@code text} (see the class comment). */
    public static RobustnessSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("robustness spec is empty" + FORM);
        }
        List<Sweep> sweeps = new ArrayList<>();
        Set<AttackKind> seen = EnumSet.noneOf(AttackKind.class);
        for (String raw : text.split(",", -1)) {
            String part = raw.strip();
            Matcher m = PART.matcher(part);
            if (!m.matches()) {
                throw new IllegalArgumentException("robustness spec: '" + part + "' is not an attack" + FORM);
            }
            AttackKind kind = AttackKind.byLabel(m.group(1));
            if (kind == null) {
                throw new IllegalArgumentException("robustness spec: unknown attack '" + m.group(1)
                        + "' (expected jpeg, blur or noise)");
            }
            if (!seen.add(kind)) {
                throw new IllegalArgumentException("robustness spec: " + kind.label() + " is given twice");
            }
            sweeps.add(new Sweep(kind, strengths(kind, part, m)));
        }
        return new RobustnessSpec(sweeps);
    }

    private static List<Integer> strengths(AttackKind kind, String part, Matcher m) {
        int from = number(part, m.group(2));
        int to = m.group(3) == null ? from : number(part, m.group(3));
        int step = m.group(4) == null ? kind.defaultStep() : number(part, m.group(4));
        if (to < from) {
            throw new IllegalArgumentException("robustness spec: '" + part + "' runs backwards (" + from + " > "
                    + to + ")");
        }
        if (step < 1) {
            throw new IllegalArgumentException("robustness spec: '" + part + "' has step 0");
        }
        if ((to - from) % step != 0) {
            throw new IllegalArgumentException("robustness spec: '" + part + "': " + to + " - " + from
                    + " is not a whole number of steps of " + step + (m.group(4) == null
                            ? " (the default " + kind.label() + " step; give another as " + from + ".." + to + "/s)"
                            : ""));
        }
        List<Integer> out = new ArrayList<>();
        for (long s = from; s <= to; s += step) {
            String problem = kind.check((int) s);
            if (problem != null) {
                throw new IllegalArgumentException("robustness spec: '" + part + "': " + problem);
            }
            out.add((int) s);
        }
        return out;
    }

    private static int number(String part, String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("robustness spec: '" + part + "': " + digits + " is too large");
        }
    }

    /** Every attack of every sweep, in spec order. */
    public List<Attack> attacks() {
        return sweeps.stream().flatMap(s -> s.attacks().stream()).toList();
    }

    /** The canonical text of this spec ({@code jpeg:50..100/10,...}), which parses back to it. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Sweep s : sweeps) {
            if (!b.isEmpty()) {
                b.append(',');
            }
            List<Integer> v = s.strengths();
            b.append(s.kind().label()).append(':').append(v.get(0));
            if (v.size() > 1) {
                b.append("..").append(v.get(v.size() - 1)).append('/').append(v.get(1) - v.get(0));
            }
        }
        return b.toString();
    }
}
