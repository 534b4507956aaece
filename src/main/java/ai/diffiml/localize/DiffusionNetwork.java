package ai.diffiml.localize;

import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;

/** A {@link DiffIml} model with fixed sampling settings ({@link DiffIml#predictStaged}). */
final class DiffusionNetwork extends Network {
    private final DiffIml model;
    private final DiffIml.Sampling sampling;

    DiffusionNetwork(DiffIml model, LocalizerOptions options) {
        super(model, model.device(), model.config().resolution());
        if (options.steps() > model.config().trainSteps()) {
            throw new IllegalArgumentException("localizer options: steps " + options.steps() + " exceeds the"
                    + " model's " + model.config().trainSteps() + " diffusion steps");
        }
        this.model = model;
        this.sampling = new DiffIml.Sampling(options.steps(), options.ensemble(), options.flipTta(),
                options.seed());
    }

    @Override
    String description() {
        return "DiffIML MiT-" + model.config().variant() + ", " + resolution() + " px, " + sampling.steps()
                + " steps x " + sampling.members() + " members" + (sampling.flipTta() ? ", flip TTA" : "");
    }

    @Override
    boolean hasEnsemble() {
        return sampling.members() > 1;
    }

    @Override
    Output run(float[] pixels, int batch, boolean memberMaps) {
        int r = resolution();
        boolean members = memberMaps && hasEnsemble();
        long[] ns = new long[DiffIml.Stage.values().length];
        try (Scope scope = Scope.open()) {
            Tensor image = Tensor.of(device(), pixels, batch, 3, r, r);
            DiffIml.Prediction p = model.predictStaged(image, sampling, members,
                    (stage, nanos) -> ns[stage.ordinal()] += nanos);
            return new Output(p.probability().toArray(), members ? p.memberProbabilities().toArray() : null,
                    members ? sampling.members() : 0, ns[DiffIml.Stage.ENCODER.ordinal()],
                    ns[DiffIml.Stage.SAMPLING.ordinal()], ns[DiffIml.Stage.DECODE.ordinal()]);
        }
    }
}
