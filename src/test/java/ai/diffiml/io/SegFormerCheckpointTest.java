package ai.diffiml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.segformer.SegFormer;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The discriminative model's checkpoint: a bit-exact round trip of weights, buffers, config, progress, encoder forward
 * count and AdamW state through the shared atomic folder format, and one-line refusals of the other kind of
 * checkpoint in both directions.
 */
class SegFormerCheckpointTest {
    static final SegFormer.Config CONFIG = new SegFormer.Config("b0", 64, 16, 1e-6f, 1e-5f, 0.1, 0.5f);

    @TempDir
    Path dir;

    @Test
    void roundTripIsBitExactWithOptimizerState() throws Exception {
        Path ck = dir.resolve("ck");
        try (SegFormer m = new SegFormer(CONFIG, Device.CPU)) {
            WeightFixtures.randomise(m, 3);
            m.encoder().forwardCount(17);
            try (AdamW opt = new AdamW(AdamW.decayGroups(m.namedParameters(), 0.05f), 1e-3f)) {
                Rand r = new Rand(4);
                for (Tensor p : opt.parameters()) {
                    p.setGrad(Tensor.of(Device.CPU, r.uniform(p.numel(), -1, 1), p.shape()));
                }
                opt.step();
                opt.zeroGrad();
                SegFormerCheckpoint.save(ck, m, opt, new Checkpoint.Progress(5, 2, Map.of("val_f1", 0.25,
                        "best_val_f1", Double.NaN)));
                SegFormerCheckpoint.Loaded back = SegFormerCheckpoint.load(ck, Device.CPU);
                try (SegFormer m2 = back.model();
                        AdamW opt2 = new AdamW(AdamW.decayGroups(m2.namedParameters(), 0.05f), 1e-2f)) {
                    assertEquals(CONFIG, back.meta().config());
                    assertEquals(5, back.meta().step());
                    assertEquals(2, back.meta().epoch());
                    assertEquals(0.25, back.meta().metrics().get("val_f1"));
                    assertTrue(Double.isNaN(back.meta().metrics().get("best_val_f1")));
                    assertEquals(17, m2.encoder().forwardCount());
                    Map<String, float[]> a = WeightFixtures.values(m), b = WeightFixtures.values(m2);
                    assertEquals(a.keySet(), b.keySet());
                    a.forEach((k, v) -> assertArrayEquals(v, b.get(k), k));
                    Checkpoint.loadOptimizer(ck, m2, opt2);
                    assertEquals(1, opt2.stepCount());
                    assertEquals(1e-3f, opt2.lr());
                    List<Tensor> p1 = opt.parameters(), p2 = opt2.parameters();
                    for (int i = 0; i < p1.size(); i++) {
                        assertArrayEquals(opt.state(p1.get(i)).expAvgSq().toArray(),
                                opt2.state(p2.get(i)).expAvgSq().toArray());
                        assertEquals(1, opt2.state(p2.get(i)).step());
                    }
                }
            }
        }
    }

    @Test
    void eachKindRefusesTheOther() throws Exception {
        Path seg = dir.resolve("seg"), diff = dir.resolve("diff");
        try (SegFormer m = new SegFormer(CONFIG, Device.CPU)) {
            SegFormerCheckpoint.save(seg, m, null, Checkpoint.Progress.of(0, 0));
        }
        try (DiffIml m = new DiffIml(CheckpointTest.CONFIG, Device.CPU)) {
            Checkpoint.save(diff, m, null, Checkpoint.Progress.of(0, 0));
        }
        WeightFileException e = assertThrows(WeightFileException.class, () -> Checkpoint.load(seg, Device.CPU));
        assertTrue(e.getMessage().contains("not a DiffIML checkpoint description (\"format\" is \""
                + SegFormerCheckpoint.FORMAT + "\""), e.getMessage());
        e = assertThrows(WeightFileException.class, () -> SegFormerCheckpoint.load(diff, Device.CPU));
        assertTrue(e.getMessage().contains("not a SegFormer (discriminative) checkpoint description"), e.getMessage());
        assertTrue(e.getMessage().startsWith(diff.toAbsolutePath().normalize().resolve(Checkpoint.META_FILE)
                .toString()), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }
}
