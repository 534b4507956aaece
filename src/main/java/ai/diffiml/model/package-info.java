/**
 * The models, one package per family, and the parts several families share.
 *
 * <p>This package holds what more than one family uses: {@link ai.diffiml.model.NoiseStem} (the forensic noise
 * stem beside the encoder), {@link ai.diffiml.model.SegmentationLoss} and {@link ai.diffiml.model.DiceLoss},
 * {@link ai.diffiml.model.TimeEmbeddings} (the sinusoidal timestep embedding), {@link ai.diffiml.model.TokenMaps}
 * (tokens to maps and back) and {@link ai.diffiml.model.Taps} (named intermediate values for parity tests).
 * {@link ai.diffiml.model.mit} holds the shared Mix Transformer encoder; each family has its own package:
 * {@link ai.diffiml.model.diffiml} (DiffIML), {@link ai.diffiml.model.segformer} (the SegFormer baseline),
 * {@link ai.diffiml.model.diffforensics} (DiffForensics).
 *
 * <p>The rule: a family's package may use this package and {@link ai.diffiml.model.mit}, never another family's
 * package; this package and {@code mit} use no family's. A part that a second family needs moves here (or into
 * {@code mit} if it belongs to the encoder), so adding a family touches no other family's package.
 */
package ai.diffiml.model;
