/**
 * The Mix Transformer (SegFormer's MiT-b0..b5) encoder that every model family builds on:
 * {@link ai.diffiml.model.mit.MixTransformer} (weight names as HuggingFace's {@code SegformerModel.encoder}, so one
 * set of importers loads ImageNet and ADE20K weights into any family) and {@link ai.diffiml.model.mit.MitVariant}
 * (widths, depths, heads), plus the paper's encoder settings.
 *
 * <p>Rule: this package uses {@link ai.diffiml.model} only, never a family's package; the families use it.
 */
package ai.diffiml.model.mit;
