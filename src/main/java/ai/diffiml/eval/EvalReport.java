package ai.diffiml.eval;

import ai.diffiml.eval.robustness.Attack;
import ai.diffiml.eval.robustness.AttackKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one evaluation produced: its settings, the results of every dataset on the clean images, the results
 * under every attack of the robustness sweep, and the gallery of each dataset.
 *
 * @param clean one result per dataset, in the order given
 * @param attacked one result per (attack, dataset), attack by attack in sweep order
 * @param galleries per dataset name, the best and worst images of the clean run
 * @param seconds wall time of the whole evaluation
 */
public record EvalReport(EvalSettings settings, List<DatasetResult> clean, List<DatasetResult> attacked,
        Map<String, Gallery> galleries, double seconds) {
    public EvalReport {
        clean = List.copyOf(clean);
        attacked = List.copyOf(attacked);
        galleries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(galleries));
    }

    /** The dataset names, in column order. */
    public List<String> datasetNames() {
        return clean.stream().map(DatasetResult::name).toList();
    }

    /** The kinds of attack run, in sweep order. */
    public List<AttackKind> attackKinds() {
        return attacked.stream().map(r -> r.attack().kind()).distinct().toList();
    }

    /** The attacked results of one kind, grouped by attack in strength order. */
    public Map<Attack, List<DatasetResult>> attacked(AttackKind kind) {
        Map<Attack, List<DatasetResult>> out = new LinkedHashMap<>();
        for (DatasetResult r : attacked) {
            if (r.attack().kind() == kind) {
                out.computeIfAbsent(r.attack(), a -> new ArrayList<>()).add(r);
            }
        }
        return out;
    }

    /**
     * One line per dataset whose clean run has no tampered image: its pixel-level scores are undefined (shown as
     * n/a) rather than zero, which usually means its masks were not found (check it with {@code datasets check}).
     */
    public List<String> warnings() {
        List<String> out = new ArrayList<>();
        for (DatasetResult r : clean) {
            if (r.images().stream().noneMatch(ImageResult::tampered)) {
                out.add("dataset " + r.name() + " has no tampered images (no masks were found): its pixel-level"
                        + " scores are undefined (n/a) and only its image-level scores mean anything; check its"
                        + " layout with 'datasets check'");
            }
        }
        return out;
    }

    /** Images that failed in the clean run, over all datasets. */
    public int failedImages() {
        return clean.stream().mapToInt(r -> r.failures().size()).sum();
    }
}
