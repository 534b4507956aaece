package ai.diffiml.train;

import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.SegFormerCheckpoint;
import ai.diffiml.io.importers.ImportedWeights;
import ai.diffiml.io.importers.WeightImport;
import ai.diffiml.model.segformer.SegFormer;
import ai.diffiml.nn.Module;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paper's discriminative baseline: the Mix Transformer with SegFormer's all-MLP head ({@link SegFormer}),
 * trained with BCE-with-logits + Dice on the masks. Its only random draws are the encoder's drop-path decisions,
 * which follow (run seed, forward count).
 */
public final class DiscriminativeTask implements Task {
    private static final Logger LOG = LoggerFactory.getLogger(DiscriminativeTask.class);

    private final SegFormer model;

    private DiscriminativeTask(SegFormer model, long seed) {
        this.model = model;
        long forwards = model.encoder().forwardCount();
        model.encoder().seedDropPath(Seeds.of(seed, Seeds.DROP_PATH));
        model.encoder().forwardCount(forwards);
    }

    /** A new model from the run seed, with ImageNet encoder weights when given (a WARN line otherwise). */
    public static DiscriminativeTask create(SegFormer.Config config, Device device, long seed, Path encoderWeights)
            throws IOException {
        SegFormer model = new SegFormer(config, device).init(Seeds.of(seed, Seeds.INIT));
        try {
            if (encoderWeights != null) {
                ImportedWeights w = WeightImport.loadEncoder(encoderWeights, model.encoder());
                LOG.info("encoder initialised from {} ({})", w.file(), w.source().label());
                if (model.noiseStem() != null) {
                    // The stem adds nothing at first: the imported encoder computes what it was trained to.
                    model.noiseStem().zeroProjection();
                    LOG.info("noise stem {}: projection zeroed so the imported encoder starts unchanged",
                            model.noiseStem().kind().label);
                }
            } else {
                DiffusionTask.warnRandomEncoder(LOG);
            }
            return new DiscriminativeTask(model, seed);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Continues from checkpoint {@code dir} (weights, encoder forward count; the caller restores the rest). */
    public static Trainer.Resumed resume(Path dir, Device device, long seed) throws IOException {
        SegFormerCheckpoint.Loaded loaded = SegFormerCheckpoint.load(dir, device);
        SegFormerCheckpoint.Meta m = loaded.meta();
        return new Trainer.Resumed(new DiscriminativeTask(loaded.model(), seed),
                Trainer.Start.of(m.step(), m.epoch(), m.metrics()));
    }

    public SegFormer segFormer() {
        return model;
    }

    @Override
    public String head() {
        return "discriminative";
    }

    @Override
    public Module model() {
        return model;
    }

    @Override
    public Map<String, Tensor> trainable() {
        return model.namedParameters();
    }

    @Override
    public void trainMode() {
        model.train(true);
    }

    @Override
    public void evalMode() {
        model.train(false);
    }

    @Override
    public StepLoss loss(Batch batch, long step, long seed) {
        SegFormer.Loss l = model.loss(batch.images(), batch.masks());
        Map<String, Tensor> terms = new LinkedHashMap<>();
        terms.put("loss_bce", l.bce());
        terms.put("loss_dice", l.dice());
        return new StepLoss(l.total(), terms);
    }

    @Override
    public Tensor probability(Tensor images, TrainSettings settings, long sampleSeed) {
        return model.predict(images);
    }

    @Override
    public void save(Path dir, AdamW optimizer, Checkpoint.Progress progress) throws IOException {
        SegFormerCheckpoint.save(dir, model, optimizer, progress);
    }
}
