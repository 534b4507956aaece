package ai.diffiml.ops;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** {@link Workspace#using}: a private workspace (as a captured CUDA graph needs) is not touched by other calls. */
class WorkspaceTest {
    @Test
    void aPrivateWorkspaceKeepsItsBuffersWhileTheThreadsOwnRegrows() {
        Workspace own = Workspace.detached();
        try {
            Tensor mine = Workspace.using(own, () -> Workspace.scratch(Device.CPU, 100));
            Tensor shared = Workspace.scratch(Device.CPU, 100);
            assertNotSame(mine, shared);
            // The thread's own workspace regrows (frees and reallocates its buffer); the private one is untouched.
            Workspace.scratch(Device.CPU, shared.numel() + 1);
            assertTrue(shared.isClosed());
            assertFalse(mine.isClosed());
            assertSame(mine, Workspace.using(own, () -> Workspace.scratch(Device.CPU, 50)));
        } finally {
            own.free();
        }
        assertTrue(Workspace.using(own, () -> Workspace.scratch(Device.CPU, 10)).numel() >= 10);
        own.free();
    }
}
