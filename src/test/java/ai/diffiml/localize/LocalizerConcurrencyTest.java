package ai.diffiml.localize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 8 threads sharing one localizer get exactly (bit for bit) what sequential calls get: with the model calls queued
 * on one model thread (the default) and with 8 model threads, where 8 forwards run at the same time on the CPU
 * (which checks that the model, the kernels and the per-thread state are re-entrant).
 */
class LocalizerConcurrencyTest {
    static final int THREADS = 8;
    static final int PER_THREAD = 2;

    @TempDir
    Path dir;

    @Test
    void eightThreadsGetExactlyTheSequentialResults() throws Exception {
        Path checkpoint = LocalizeFixtures.diffImlCheckpoint(dir.resolve("ck"), 31);
        // Different sizes per thread, so results would differ if calls mixed up their inputs or outputs.
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < THREADS * PER_THREAD; i++) {
            images.add(LocalizeFixtures.image(40 + 7 * i, 30 + 5 * (i % 5), 100 + i));
        }
        LocalizerOptions options = LocalizeFixtures.fast().steps(2).build();
        List<Localization> sequential = new ArrayList<>();
        try (Localizer localizer = Localizer.load(checkpoint, options)) {
            for (BufferedImage image : images) {
                sequential.add(localizer.localize(image));
            }
        }
        for (int forwards : new int[] {1, THREADS}) {
            try (Localizer localizer = Localizer.load(checkpoint, options.toBuilder().concurrentForwards(forwards)
                    .build())) {
                double queued = concurrently(localizer, images, sequential, "concurrentForwards " + forwards);
                if (forwards == 1) {
                    assertTrue(queued > 0, "8 callers for one model thread: someone waited");
                }
            }
        }
    }

    /** Runs the images on 8 threads at once, compares with {@code sequential}; returns the total queue time. */
    private static double concurrently(Localizer localizer, List<BufferedImage> images,
            List<Localization> sequential, String setting) throws Exception {
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<List<Localization>>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int first = t * PER_THREAD;
                futures.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    List<Localization> mine = new ArrayList<>();
                    for (int k = 0; k < PER_THREAD; k++) {
                        mine.add(localizer.localize(images.get(first + k)));
                    }
                    return mine;
                }));
            }
            double queued = 0;
            for (int t = 0; t < THREADS; t++) {
                List<Localization> mine = futures.get(t).get(300, TimeUnit.SECONDS);
                for (int k = 0; k < PER_THREAD; k++) {
                    Localization want = sequential.get(t * PER_THREAD + k), got = mine.get(k);
                    String what = setting + ", thread " + t + " image " + k;
                    assertEquals(want.width(), got.width(), what);
                    assertEquals(want.height(), got.height(), what);
                    assertArrayEquals(want.probability(), got.probability(), what);
                    assertArrayEquals(want.uncertainty(), got.uncertainty(), what);
                    assertArrayEquals(want.modelProbability(), got.modelProbability(), what);
                    assertTrue(got.uncertaintyMeasured(), what);
                    queued += got.timings().queueMs();
                }
            }
            return queued;
        } finally {
            pool.shutdownNow();
        }
    }
}
