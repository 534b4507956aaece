package ai.diffiml.localize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The heap bound of a localization's maps, and the one-line refusal of an image over it. */
class MapMemoryTest {
    @Test
    void aTwelveThousandByNineThousandPhotoNeedsOnePointTwoGibWithUncertainty() {
        assertEquals(12_000L * 9_000 * 12, MapMemory.heapBytes(12_000, 9_000, true));
        assertEquals(12_000L * 9_000 * 8, MapMemory.heapBytes(12_000, 9_000, false));
        assertNull(MapMemory.refusal(12_000, 9_000, true, 2L << 30));
        assertNull(MapMemory.refusal(12_000, 9_000, false, 12_000L * 9_000 * 8)); // exactly at the limit
        assertEquals("12000 x 9000 pixels: its maps need 1.2 GiB of Java heap (12 bytes a pixel, with the uncertainty"
                + " map), more than the 1.0 GiB this JVM allows; run java with -Xmx3g or more, or leave the"
                + " uncertainty map out (predict --no-uncertainty)", MapMemory.refusal(12_000, 9_000, true, 1L << 30));
        assertEquals("300 x 200 pixels: its maps need 468 KiB of Java heap (8 bytes a pixel), more than the 195 KiB"
                + " this JVM allows; run java with -Xmx2g or more", MapMemory.refusal(300, 200, false, 200_000));
    }

    @Test
    void theLimitIsTheMaximumHeapUnlessThePropertySetsIt() {
        String before = System.getProperty(MapMemory.LIMIT_PROPERTY);
        try {
            System.clearProperty(MapMemory.LIMIT_PROPERTY);
            assertEquals(Runtime.getRuntime().maxMemory(), MapMemory.limit());
            System.setProperty(MapMemory.LIMIT_PROPERTY, "123456");
            assertEquals(123_456, MapMemory.limit());
        } finally {
            if (before == null) {
                System.clearProperty(MapMemory.LIMIT_PROPERTY);
            } else {
                System.setProperty(MapMemory.LIMIT_PROPERTY, before);
            }
        }
    }
}
