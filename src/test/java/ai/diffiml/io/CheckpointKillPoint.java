package ai.diffiml.io;

import ai.diffiml.cli.Main;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A child-process entry point for crash tests: {@code CheckpointKillPoint STAGE N CLI-ARGS...} runs the command line
 * ({@link Main}) and, the N-th time a checkpoint save reaches {@code STAGE} (model, optimizer, meta or swap: after
 * the weights, after the optimizer state, after checkpoint.json, between the two renames; see
 * {@link Checkpoint#commit}), prints {@code KILL-POINT STAGE N} on stdout and stops there, waiting for the parent
 * to SIGKILL it. {@code STAGE} {@code none} runs the command as is (the parent kills it when it chooses).
 */
public final class CheckpointKillPoint {
    public static final String SIGNAL = "KILL-POINT ";

    private CheckpointKillPoint() {}

    public static void main(String[] args) throws Exception {
        String stage = args[0];
        int occurrence = Integer.parseInt(args[1]);
        AtomicInteger seen = new AtomicInteger();
        if (!stage.equals("none")) {
            Checkpoint.faults = s -> {
                if (s.equals(stage) && seen.incrementAndGet() == occurrence) {
                    System.out.println(SIGNAL + stage + " " + occurrence);
                    System.out.flush();
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
        }
        Main.main(Arrays.copyOfRange(args, 2, args.length));
    }
}
