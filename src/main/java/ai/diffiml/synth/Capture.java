package ai.diffiml.synth;

import java.util.List;

/**
 * One source image at working size: 8-bit-valued BGR pixels as a camera (or a photo file) delivered them, with the
 * visible-coverage maps (0..1) of the objects a procedural scene drew (empty for photographs).
 */
record Capture(Raster image, List<Raster> objects) {}
