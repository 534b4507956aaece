package ai.diffiml.cli;

/**
 * The ranges {@code train} and {@code train-vae} accept for their numeric options, checked before any data is read
 * or made, any model built or any folder created, each with a one-line usage error naming the option: what lies
 * outside is either meaningless (a learning rate above 1 for Adam, a batch of 0) or a size that would exhaust memory
 * before the first step (a 100000-pixel training resolution, a batch of a million). The lower bounds that the
 * settings records check themselves (epochs, weight decay, clipping, validation sampling) are left to them.
 */
final class TrainingRanges {
    /** Largest training resolution: four times the paper's 512 px (16 times its pixels). */
    static final int MAX_RESOLUTION = 2048;
    /** Largest batch. */
    static final int MAX_BATCH = 1024;
    /** Largest peak learning rate. */
    static final double MAX_LR = 1.0;
    /** Most epochs. */
    static final int MAX_EPOCHS = 100_000;

    private TrainingRanges() {}

    /**
     * Checks the options given (null: not given; the preset's value is in range). A batch below 1 and a resolution
     * that is not a multiple of 32 are refused by the commands and the model configs themselves, with their own
     * wording; here the upper bounds, and the learning rate whole.
     */
    static void check(Double lr, Integer batch, Integer resolution, Integer epochs) {
        if (lr != null && !(lr > 0 && lr <= MAX_LR)) {
            throw new IllegalArgumentException("--lr must be in (0, " + MAX_LR + "], got " + lr);
        }
        if (batch != null && batch > MAX_BATCH) {
            throw new IllegalArgumentException("--batch must be at most " + MAX_BATCH + ", got " + batch);
        }
        if (resolution != null && resolution > MAX_RESOLUTION) {
            throw new IllegalArgumentException("--resolution must be at most " + MAX_RESOLUTION + " px, got "
                    + resolution);
        }
        if (epochs != null && epochs > MAX_EPOCHS) {
            throw new IllegalArgumentException("--epochs must be at most " + MAX_EPOCHS + ", got " + epochs);
        }
    }
}
