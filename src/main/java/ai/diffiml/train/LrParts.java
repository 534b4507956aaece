package ai.diffiml.train;

import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a model that can train at their own learning-rate multiple, told apart by parameter name:
 * {@code encoder} (the Mix Transformer and the noise stem), {@code unet} (DiffIML's denoiser) and {@code head}
 * (everything else: the condition head and auxiliary head, or SegFormer's decode head). Each part gets the usual
 * decay / no-decay pair of AdamW groups ({@link AdamW#decayGroups}).
 */
public final class LrParts {
    public static final List<String> NAMES = List.of("encoder", "head", "unet");

    private LrParts() {}

    /** The part a parameter belongs to. */
    public static String of(String parameterName) {
        if (parameterName.startsWith("segformer.") || parameterName.startsWith("noise_stem.")) {
            return "encoder";
        }
        return parameterName.startsWith("unet.") ? "unet" : "head";
    }

    /** Refuses a name that is not a part. */
    static void require(String part) {
        if (!NAMES.contains(part)) {
            throw new IllegalArgumentException("training settings: '" + part + "' is not a model part (expected "
                    + String.join(", ", NAMES) + ")");
        }
    }

    /** AdamW groups of {@code trainable}: per part, decay and no-decay, at the part's learning-rate multiple. */
    public static List<AdamW.ParamGroup> groups(Map<String, Tensor> trainable, float weightDecay,
            TrainSettings settings) {
        Map<String, Map<String, Tensor>> byPart = new LinkedHashMap<>();
        NAMES.forEach(n -> byPart.put(n, new LinkedHashMap<>()));
        trainable.forEach((name, p) -> byPart.get(of(name)).put(name, p));
        List<AdamW.ParamGroup> out = new ArrayList<>();
        byPart.forEach((part, params) -> {
            float scale = (float) settings.lrScale(part);
            for (AdamW.ParamGroup g : AdamW.decayGroups(params, weightDecay)) {
                if (!g.params().isEmpty()) {
                    out.add(new AdamW.ParamGroup(part + "." + g.name(), g.params(), g.weightDecay(), scale));
                }
            }
        });
        return out;
    }
}
