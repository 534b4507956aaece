package ai.diffiml.eval.report;

import ai.diffiml.eval.DatasetResult;
import ai.diffiml.eval.EvalReport;
import ai.diffiml.eval.EvalSettings;
import ai.diffiml.eval.ImageResult;
import ai.diffiml.eval.robustness.Attack;
import ai.diffiml.eval.robustness.AttackKind;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * The whole report as JSON ({@code results.json}): {@code settings} (including the scoring mode and what it means),
 * {@code datasets} (per dataset every {@link Metric} by key, and the failed images with their reasons),
 * {@code average}, and {@code robustness} (per attack kind, per strength, the same per dataset and on average).
 * Undefined scores are {@code null}.
 */
public final class ReportJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportJson() {}

    public static String of(EvalReport report) {
        ObjectNode root = MAPPER.createObjectNode();
        root.set("settings", settings(report.settings()));
        root.put("seconds", report.seconds());
        ArrayNode warnings = root.putArray("warnings");
        report.warnings().forEach(warnings::add);
        ArrayNode datasets = root.putArray("datasets");
        for (DatasetResult r : report.clean()) {
            ObjectNode d = metrics(r.name(), List.of(r));
            d.put("images", r.images().size());
            ArrayNode failures = d.putArray("failures");
            for (ImageResult f : r.failures()) {
                failures.addObject().put("id", f.id()).put("path", f.image().toString()).put("error", f.error());
            }
            datasets.add(d);
        }
        root.set("average", metrics(ResultTable.AVERAGE, report.clean()));
        ArrayNode robustness = root.putArray("robustness");
        for (AttackKind kind : report.attackKinds()) {
            ObjectNode k = robustness.addObject();
            k.put("attack", kind.label()).put("strength_name", kind.strengthName());
            ArrayNode levels = k.putArray("levels");
            for (Map.Entry<Attack, List<DatasetResult>> e : report.attacked(kind).entrySet()) {
                ObjectNode level = levels.addObject();
                level.put("strength", e.getKey().strength());
                ArrayNode per = level.putArray("datasets");
                for (DatasetResult r : e.getValue()) {
                    per.add(metrics(r.name(), List.of(r)));
                }
                level.set("average", metrics(ResultTable.AVERAGE, e.getValue()));
            }
        }
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("JSON report: " + e.getMessage(), e);
        }
    }

    private static ObjectNode settings(EvalSettings s) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("checkpoint", s.checkpoint()).put("model", s.model()).put("steps", s.steps())
                .put("ensemble", s.ensemble()).put("tta", s.tta()).put("seed", s.seed()).put("device", s.device())
                .put("scoring", s.scoring().label()).put("scoring_description", s.scoring().describe(s.resolution()))
                .put("resolution", s.resolution()).put("date", s.date()).put("batch", s.batch());
        if (s.limit() == null) {
            o.putNull("limit");
        } else {
            o.put("limit", s.limit());
        }
        if (s.robustness() == null) {
            o.putNull("robustness");
        } else {
            o.put("robustness", s.robustness().toString());
        }
        o.put("pixel_threshold", "> 0.5 (strict)");
        o.put("pixel_average", "mean over tampered images only");
        o.put("image_score", "the predictor's image score (maximum probability)");
        return o;
    }

    private static ObjectNode metrics(String name, List<DatasetResult> results) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("name", name);
        for (Metric m : Metric.values()) {
            double v = m.average(results); // one result: its own value
            if (Double.isNaN(v)) {
                o.putNull(m.key());
            } else if (m.isCount()) {
                o.put(m.key(), Math.round(v));
            } else {
                o.put(m.key(), v);
            }
        }
        return o;
    }
}
