/**
 * DiffIML, the diffusion model for image manipulation localization: {@link ai.diffiml.model.diffiml.DiffIml}
 * (training loss, DDIM sampling, the anchored prediction of {@link ai.diffiml.model.diffiml.AnchorForm}), its parts
 * ({@link ai.diffiml.model.diffiml.ConditionHead}, {@link ai.diffiml.model.diffiml.DenoisingUnet} with
 * {@link ai.diffiml.model.diffiml.SpatialSelfAttention}, {@link ai.diffiml.model.diffiml.LightVae}), the SD-VAE
 * teacher {@link ai.diffiml.model.diffiml.SdVaeEncoder}, the configuration
 * ({@link ai.diffiml.model.diffiml.ModelConfig}, the named configs of {@link ai.diffiml.model.diffiml.ModelConfigs})
 * and the parameter/MAC counts of {@link ai.diffiml.model.diffiml.ModelCounts}.
 *
 * <p>Rule: a family's package may use {@link ai.diffiml.model} and {@link ai.diffiml.model.mit}, never another
 * family's package (and no other family uses this one).
 */
package ai.diffiml.model.diffiml;
