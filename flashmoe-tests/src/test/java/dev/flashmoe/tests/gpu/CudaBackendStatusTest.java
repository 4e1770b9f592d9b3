package dev.flashmoe.tests.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.BackendKind;
import dev.flashmoe.ErrorCode;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.cuda.CudaBackend;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs everywhere: the CUDA backend is found, says plainly whether it is usable, and AUTO falls back to the CPU. */
class CudaBackendStatusTest {
    @Test
    void statusIsReportedAndAutoResolvesConsistently() {
        Map<BackendKind, String> status = FlashMoe.backendStatus();
        System.out.println("[gpu-tests] FlashMoe.backendStatus() = " + status);
        String cuda = status.get(BackendKind.CUDA);
        assertTrue(cuda != null, "CUDA backend missing from backendStatus()");
        assertFalse(cuda.contains("not on the classpath"), "flashmoe-native should be on the test classpath: " + cuda);
        CudaBackend backend = new CudaBackend();
        assertEquals(cuda, backend.unavailableReason().orElse(""), "the reason is cached and stable");
        String description = backend.description();
        System.out.println("[gpu-tests] CudaBackend.description() = " + description);
        assertFalse(description.isBlank());
        if (cuda.isEmpty()) {
            assertEquals(BackendKind.CUDA, FlashMoe.resolve(BackendKind.AUTO));
        } else {
            assertEquals(BackendKind.CPU, FlashMoe.resolve(BackendKind.AUTO), "AUTO must fall back to the CPU");
            FlashMoeException e = assertThrows(FlashMoeException.class, () -> FlashMoe.resolve(BackendKind.CUDA));
            assertEquals(ErrorCode.NO_DEVICE, e.code());
            assertTrue(e.getMessage().contains(cuda), "the exception should carry the reason: " + e.getMessage());
            assertThrows(FlashMoeException.class, () -> backend.deviceMemory());
        }
    }
}
