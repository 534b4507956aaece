package ai.diffiml.train;

/**
 * How a model is trained (method.md section 5): epochs, peak learning rate with its warm-up, AdamW weight decay
 * (none on biases and norm weights), gradient-norm clipping, the run seed every random draw derives from
 * ({@link Seeds}), how often the last checkpoint is written, the sampling used for validation (diffusion head) and an
 * optional wall-time limit after which the run stops at a step boundary with a resumable checkpoint.
 *
 * @param epochs passes over the training data
 * @param lr peak learning rate (method.md: 1e-4)
 * @param warmupEpochs epochs of linear warm-up (method.md: 2), then per-iteration cosine decay to 0
 * @param weightDecay AdamW decoupled weight decay of weights (method.md: 0.05)
 * @param clipNorm maximum global gradient L2 norm; 0 turns clipping off (the norm is still logged)
 * @param seed run seed
 * @param checkpointEvery write {@code last} every this many steps (0: only at epoch ends and at the end)
 * @param valSteps DDIM steps of validation predictions (diffusion head)
 * @param valEnsemble ensemble members of validation predictions (diffusion head)
 * @param timeLimitSeconds stop (resumably) once this much wall time has passed; 0 for no limit
 * @param lrFloor the cosine decays to {@code lrFloor x lr} instead of 0 (method.md: 0); absent (null) in configs
 *     written before it existed
 * @param lrScales learning-rate multipliers per model part ({@link LrParts}: encoder, head, unet); parts not named
 *     train at 1; absent in older configs
 * @param valSubset images of the validation data scored at each epoch end (0: all); the run's end always scores
 *     all of them
 * @param auxWarmupEpochs DiffIML: the first this many epochs train the encoder and its auxiliary head alone (the
 *     diffusion objective and the UNet wait; the method: 0); absent in older configs
 * @param trainCrop training samples are random {@code trainCrop}-pixel windows of the resized images (0: whole
 *     images, the method; validation always scores whole images); absent in older configs
 */
public record TrainSettings(int epochs, double lr, double warmupEpochs, double weightDecay, double clipNorm,
        long seed, int checkpointEvery, int valSteps, int valEnsemble, long timeLimitSeconds, Double lrFloor,
        java.util.Map<String, Double> lrScales, Integer valSubset, Double auxWarmupEpochs, Integer trainCrop) {

    /** Settings that train on whole images. */
    public TrainSettings(int epochs, double lr, double warmupEpochs, double weightDecay, double clipNorm, long seed,
            int checkpointEvery, int valSteps, int valEnsemble, long timeLimitSeconds, Double lrFloor,
            java.util.Map<String, Double> lrScales, Integer valSubset, Double auxWarmupEpochs) {
        this(epochs, lr, warmupEpochs, weightDecay, clipNorm, seed, checkpointEvery, valSteps, valEnsemble,
                timeLimitSeconds, lrFloor, lrScales, valSubset, auxWarmupEpochs, null);
    }

    /** Settings with a cosine to 0, one learning rate for every part and every validation on all images. */
    public TrainSettings(int epochs, double lr, double warmupEpochs, double weightDecay, double clipNorm, long seed,
            int checkpointEvery, int valSteps, int valEnsemble, long timeLimitSeconds) {
        this(epochs, lr, warmupEpochs, weightDecay, clipNorm, seed, checkpointEvery, valSteps, valEnsemble,
                timeLimitSeconds, null, null, null, null);
    }

    /** Settings without an auxiliary warm-up. */
    public TrainSettings(int epochs, double lr, double warmupEpochs, double weightDecay, double clipNorm, long seed,
            int checkpointEvery, int valSteps, int valEnsemble, long timeLimitSeconds, Double lrFloor,
            java.util.Map<String, Double> lrScales, Integer valSubset) {
        this(epochs, lr, warmupEpochs, weightDecay, clipNorm, seed, checkpointEvery, valSteps, valEnsemble,
                timeLimitSeconds, lrFloor, lrScales, valSubset, null);
    }
    /** AdamW betas of the method (0.9, 0.999) and PyTorch's eps. */
    public static final float BETA1 = 0.9f, BETA2 = 0.999f, EPS = 1e-8f;

    public TrainSettings {
        lrFloor = lrFloor == null ? 0.0 : lrFloor;
        lrScales = lrScales == null ? java.util.Map.of() : java.util.Map.copyOf(lrScales);
        valSubset = valSubset == null ? 0 : valSubset;
        auxWarmupEpochs = auxWarmupEpochs == null ? 0.0 : auxWarmupEpochs;
        trainCrop = trainCrop == null ? 0 : trainCrop;
        require(trainCrop == 0 || (trainCrop >= 32 && trainCrop % 32 == 0), "training crop must be 0 (whole"
                + " images) or a multiple of 32 >= 32 pixels, got " + trainCrop);
        require(auxWarmupEpochs >= 0 && auxWarmupEpochs < epochs, "auxiliary warm-up must be >= 0 epochs and"
                + " shorter than the run (" + epochs + " epochs), got " + auxWarmupEpochs);
        require(lrFloor >= 0 && lrFloor <= 1, "learning-rate floor must be in [0, 1] (a fraction of the peak), got "
                + lrFloor);
        for (java.util.Map.Entry<String, Double> e : lrScales.entrySet()) {
            LrParts.require(e.getKey());
            require(e.getValue() != null && e.getValue() >= 0 && Double.isFinite(e.getValue()),
                    "learning-rate scale of " + e.getKey() + " must be >= 0, got " + e.getValue());
        }
        require(valSubset >= 0, "validation subset must be >= 0 images (0 = all), got " + valSubset);
        require(epochs >= 1, "epochs must be >= 1, got " + epochs);
        require(lr > 0 && Double.isFinite(lr), "learning rate must be positive, got " + lr);
        require(warmupEpochs >= 0 && Double.isFinite(warmupEpochs), "warm-up epochs must be >= 0, got " + warmupEpochs);
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight decay must be >= 0, got " + weightDecay);
        require(clipNorm >= 0 && Double.isFinite(clipNorm), "gradient clip norm must be >= 0 (0 = off), got "
                + clipNorm);
        require(checkpointEvery >= 0, "checkpoint interval must be >= 0 steps, got " + checkpointEvery);
        require(valSteps >= 1 && valEnsemble >= 1, "validation steps and ensemble must be >= 1, got " + valSteps
                + ", " + valEnsemble);
        require(timeLimitSeconds >= 0, "time limit must be >= 0 seconds (0 = none), got " + timeLimitSeconds);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("training settings: " + message);
        }
    }

    /**
     * The method's optimisation settings (lr 1e-4, 2 warm-up epochs, weight decay 0.05) for {@code epochs} epochs,
     * clipping at norm 1.0, last checkpoint every 500 steps, validation with 8 DDIM steps and 1 ensemble member.
     */
    public static TrainSettings of(int epochs, long seed) {
        return new TrainSettings(epochs, 1e-4, 2, 0.05, 1.0, seed, 500, 8, 1, 0);
    }

    public TrainSettings withTimeLimit(long seconds) {
        return new TrainSettings(epochs, lr, warmupEpochs, weightDecay, clipNorm, seed, checkpointEvery, valSteps,
                valEnsemble, seconds, lrFloor, lrScales, valSubset, auxWarmupEpochs, trainCrop);
    }

    /** Steps of the auxiliary warm-up in a run of {@code perEpoch} batches per epoch. */
    public long auxWarmupSteps(int perEpoch) {
        return Math.round(auxWarmupEpochs * perEpoch);
    }

    /** The learning-rate multiplier of part {@code part} (1 unless set). */
    public double lrScale(String part) {
        return lrScales.getOrDefault(part, 1.0);
    }
}
