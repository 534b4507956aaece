package ai.diffiml.train;

import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;

/**
 * Progress of a training loop: on a terminal a progress bar on stderr (steps, ETA and a message with loss, learning
 * rate and images/s); otherwise (a pipe, a log file, a test) no bar, and the message is logged at INFO about twenty
 * times per run and at every epoch end.
 */
final class ProgressReporter implements AutoCloseable {
    private final Logger log;
    private final long total;
    private final long every;
    private final ProgressBar bar;
    private boolean closed;

    /**
     * @param task the bar's label
     * @param total steps of the whole run
     * @param done steps already done (a resumed run)
     * @param elapsed wall time those steps took, for the ETA
     */
    ProgressReporter(Logger log, String task, long total, long done, Duration elapsed) {
        this.log = log;
        this.total = total;
        this.every = Math.max(1, total / 20);
        this.bar = System.console() == null ? null : new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).startsFrom(done, elapsed)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
    }

    /** After step {@code step} (1-based) of the run; {@code epochEnd} forces a log line without a terminal. */
    void update(long step, String message, boolean epochEnd) {
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(message);
        } else if (step % every == 0 || epochEnd || step == total) {
            log.info("step {}/{}: {}", step, total, message);
        }
    }

    /** A line for the log: on a terminal it replaces the bar's line (the bar redraws below it), else at INFO. */
    void note(String line) {
        if (bar != null && !closed) {
            System.err.print("\r\033[2K" + line + System.lineSeparator());
            System.err.flush();
            bar.refresh();
        } else {
            log.info(line);
        }
    }

    /** Ends the bar (idempotent). */
    @Override
    public void close() {
        if (bar != null && !closed) {
            bar.close();
        }
        closed = true;
    }
}
