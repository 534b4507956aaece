package ai.diffiml.train;

import ai.diffiml.data.BatchSource;
import java.io.IOException;
import java.nio.file.Path;

/**
 * How the {@code train} and {@code train-vae} commands turn a {@code --data} / {@code --val-data} path into batches:
 * the seam between the trainers, which only know {@link BatchSource}, and the dataset readers and augmentation of
 * {@code ai.diffiml.data}. Errors about the data itself (no such folder, unreadable files) are
 * {@link IllegalArgumentException}s or {@link IOException}s with a one-line message naming the path.
 */
public interface DataSources {
    /** Augmented training batches of {@code resolution} px, in an order fixed by {@code seed} and the epoch. */
    BatchSource training(Path data, int resolution, int batchSize, long seed) throws IOException;

    /** Validation batches of {@code resolution} px: no augmentation, a fixed order. */
    BatchSource validation(Path data, int resolution, int batchSize) throws IOException;

    /** What a build without a dataset reader offers: nothing, with a message saying so. */
    DataSources NONE = new DataSources() {
        @Override
        public BatchSource training(Path data, int resolution, int batchSize, long seed) {
            throw unavailable(data);
        }

        @Override
        public BatchSource validation(Path data, int resolution, int batchSize) {
            throw unavailable(data);
        }

        private IllegalArgumentException unavailable(Path data) {
            return new IllegalArgumentException(data + ": this build has no dataset reader wired into the training"
                    + " commands yet (ai.diffiml.data.DataLoader)");
        }
    };
}
