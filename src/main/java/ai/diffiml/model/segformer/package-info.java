/**
 * The discriminative baseline: {@link ai.diffiml.model.segformer.SegFormer}, the Mix Transformer encoder with
 * SegFormer's all-MLP decode head, trained with BCE + Dice.
 *
 * <p>Rule: a family's package may use {@link ai.diffiml.model} and {@link ai.diffiml.model.mit}, never another
 * family's package (and no other family uses this one).
 */
package ai.diffiml.model.segformer;
