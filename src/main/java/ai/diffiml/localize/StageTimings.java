package ai.diffiml.localize;

/**
 * Where the time of one {@link Localization} went, in milliseconds of wall-clock time.
 *
 * @param preprocessMs decoding the image (for file and byte inputs), resizing or cutting tiles, normalising
 * @param queueMs waiting for the model (other threads' calls; 0 when the localizer was idle)
 * @param encoderMs Mix Transformer encoder and condition head (for the discriminative model: its whole forward)
 * @param samplingMs initial noise and the DDIM chains (steps x ensemble UNet calls); 0 for the discriminative
 *     model
 * @param decodeMs LightVAE decode of the averaged latent and sigmoid, plus the member decodes when the uncertainty
 *     is computed; 0 for the discriminative model
 * @param postprocessMs resizing the maps back to the image's size (or stitching tiles), the spread of the
 *     members, the scores
 * @param batch how many images shared the model call whose encoder, sampling and decode times are given (the
 *     model stages are those of the whole call); 1 for a single image and in tiled mode, where the times add up
 *     the image's own tile calls
 */
public record StageTimings(double preprocessMs, double queueMs, double encoderMs, double samplingMs,
        double decodeMs, double postprocessMs, int batch) {

    /** The sum of all stages: the image's latency when it ran alone. */
    public double totalMs() {
        return preprocessMs + queueMs + encoderMs + samplingMs + decodeMs + postprocessMs;
    }
}
