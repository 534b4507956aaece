package ai.diffiml.data;

import ai.diffiml.tensor.Tensor;
import java.util.List;

/**
 * One training or validation batch on a device: ImageNet-normalised images [B, 3, R, R], masks [B, 1, R, R] and
 * edge maps [B, 1, R, R] with values in {0, 1} (all zero for authentic images), the sample ids and which samples
 * are tampered. The batch owns its tensors: close it (or let the enclosing scope free them).
 */
public record Batch(Tensor images, Tensor masks, Tensor edges, List<String> ids, boolean[] tampered)
        implements AutoCloseable {
    public int size() {
        return ids.size();
    }

    @Override
    public void close() {
        images.close();
        masks.close();
        edges.close();
    }
}
