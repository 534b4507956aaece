package ai.diffiml.train;

import java.nio.file.Path;

/**
 * The folder of one training run, {@code runs/<name>/}: {@value #CONFIG} (what was run, written by the caller
 * before training), {@value #LAST} (the resumable checkpoint: weights, optimizer, progress), {@value #BEST} (the
 * weights with the best validation pixel F1), {@value #METRICS} (one JSON object per line: training steps and
 * validations) and {@value #CURVES} (loss, validation F1 and learning rate against the step).
 */
public record RunFolder(Path dir) {
    public static final String CONFIG = "config.json";
    public static final String LAST = "last";
    public static final String BEST = "best";
    public static final String METRICS = "metrics.jsonl";
    public static final String CURVES = "curves.png";

    public Path config() {
        return dir.resolve(CONFIG);
    }

    public Path last() {
        return dir.resolve(LAST);
    }

    public Path best() {
        return dir.resolve(BEST);
    }

    public Path metrics() {
        return dir.resolve(METRICS);
    }

    public Path curves() {
        return dir.resolve(CURVES);
    }
}
