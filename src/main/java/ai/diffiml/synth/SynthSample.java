package ai.diffiml.synth;

import java.util.Map;

/**
 * One generated image as the files it becomes: the encoded image ({@code extension} "jpg" or "png"), and for a
 * tampered image its binary mask as an 8-bit PNG (0 authentic, 255 changed); {@code info} records what was done
 * ("kind": "authentic", "splice", "copy-move" or "inpaint", and the parameters).
 */
public record SynthSample(int index, boolean tampered, String extension, byte[] image, byte[] mask,
        Map<String, Object> info) {}
