package ai.diffiml.train;

import ai.diffiml.model.diffforensics.DiffForensics;

/**
 * The DiffForensics part of a run's {@link RunConfig}: the model, which stages the run trains, the pretraining
 * settings and batch (the fine-tuning ones are the run config's), and the pretraining checkpoint a fine-tuning-only
 * run started from.
 *
 * @param model the model config, with the loss weights taken from the training data
 * @param stages "both", "pretrain" or "finetune"
 * @param pretrain stage-1 settings (null when the run does not pretrain)
 * @param pretrainBatch stage-1 samples per batch (0 when the run does not pretrain)
 * @param pretrained the checkpoint a "finetune" run started from, or null (fine-tuning from initialisation)
 */
public record DiffForensicsRun(DiffForensics.Config model, String stages, TrainSettings pretrain, int pretrainBatch,
        String pretrained) {
    /** The folder of the pretraining stage inside the run folder. */
    public static final String PRETRAIN_FOLDER = "pretrain";

    public DiffForensicsRun {
        if (model == null || !(stages.equals("both") || stages.equals("pretrain") || stages.equals("finetune"))) {
            throw new IllegalArgumentException("diffforensics run: needs a model config and stages both, pretrain or"
                    + " finetune, got " + stages);
        }
        if (!stages.equals("finetune") && (pretrain == null || pretrainBatch < 1)) { // fields unset here
            throw new IllegalArgumentException("diffforensics run: stage " + stages + " needs pretraining settings"
                    + " and a batch size");
        }
    }

    public boolean pretrains() {
        return !stages.equals("finetune");
    }

    public boolean fineTunes() {
        return !stages.equals("pretrain");
    }
}
