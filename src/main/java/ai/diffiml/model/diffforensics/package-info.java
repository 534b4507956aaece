/**
 * DiffForensics (Yu et al., CVPR 2024): {@link ai.diffiml.model.diffforensics.DiffForensics} (the Mix Transformer
 * encoder with a UNet-style decoder and its noise, localization, detection and edge heads),
 * {@link ai.diffiml.model.diffforensics.SimplexNoise} (the stage-1 target),
 * {@link ai.diffiml.model.diffforensics.EdgeCue} (the Edge Cue Enhancement) and
 * {@link ai.diffiml.model.diffforensics.ForensicsLosses}.
 *
 * <p>Rule: a family's package may use {@link ai.diffiml.model} and {@link ai.diffiml.model.mit}, never another
 * family's package (and no other family uses this one).
 */
package ai.diffiml.model.diffforensics;
