package ai.diffiml.train;

import ai.diffiml.data.AugmentationSettings;
import ai.diffiml.data.BatchSource;
import ai.diffiml.data.DataLoader;
import ai.diffiml.data.DatasetReaders;
import ai.diffiml.data.LoaderOptions;
import java.io.IOException;
import java.nio.file.Path;

/**
 * How the {@code train} and {@code train-vae} commands turn a {@code --data} / {@code --val-data} path into batches:
 * the seam between the trainers, which only know {@link BatchSource}, and the dataset readers and augmentation of
 * {@code ai.diffiml.data}. Errors about the data itself (no such folder, unreadable files) are
 * {@link IllegalArgumentException}s or {@link IOException}s with a one-line message naming the path.
 */
public interface DataSources {
    /**
     * Training batches of {@code resolution} px with {@code augmentation}, in an order (and with augmentation
     * draws) fixed by {@code seed} and the epoch; with {@code crop > 0} each sample is a random {@code crop}-pixel
     * window of the resized image ({@link LoaderOptions#crop}).
     */
    BatchSource training(Path data, int resolution, int batchSize, long seed, AugmentationSettings augmentation,
            int crop) throws IOException;

    /** Validation batches of {@code resolution} px: no augmentation, a fixed order. */
    BatchSource validation(Path data, int resolution, int batchSize) throws IOException;

    /**
     * The real thing: {@link DatasetReaders#open} (BenCo folder or JSON list, MVSS list, image folder) and a
     * {@link DataLoader} with the given augmentation for training, plain resize for validation.
     */
    DataSources LOADER = new DataSources() {
        @Override
        public BatchSource training(Path data, int resolution, int batchSize, long seed,
                AugmentationSettings augmentation, int crop) throws IOException {
            return DataLoader.open(DatasetReaders.open(data),
                    LoaderOptions.training(resolution, batchSize, seed, augmentation).withCrop(crop));
        }

        @Override
        public BatchSource validation(Path data, int resolution, int batchSize) throws IOException {
            return DataLoader.open(DatasetReaders.open(data), LoaderOptions.validation(resolution, batchSize));
        }
    };
}
