package dev.flashmoe.tests.gpu;

import dev.flashmoe.BackendKind;
import dev.flashmoe.FlashMoe;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The condition behind {@link RequiresCuda}: asks FlashMoe.backendStatus() once per test class, says why it skips. */
public final class CudaCondition implements ExecutionCondition {
    /** Set on GPU machines: an unusable CUDA backend is then a failure, not a skip. */
    public static final String REQUIRED_PROPERTY = "flashmoe.gpu.required";
    private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String reason = unavailableReason();
        String where = context.getRequiredTestClass().getSimpleName();
        if (reason == null) {
            if (REPORTED.add(where)) {
                System.out.println("[gpu-tests] " + where + " runs on " + FlashMoe.describe(BackendKind.CUDA));
            }
            return ConditionEvaluationResult.enabled("CUDA backend usable");
        }
        if (Boolean.getBoolean(REQUIRED_PROPERTY)) {
            throw new IllegalStateException(REQUIRED_PROPERTY + "=true, but the CUDA backend is not usable: " + reason);
        }
        if (REPORTED.add(where)) {
            System.out.println("[gpu-tests] SKIPPED " + where + ": the CUDA backend is not usable here: " + reason);
        }
        return ConditionEvaluationResult.disabled("CUDA backend not usable: " + reason);
    }

    /** Null when the CUDA backend is usable, else why not. */
    public static String unavailableReason() {
        String reason = FlashMoe.backendStatus().get(BackendKind.CUDA);
        return reason == null || reason.isEmpty() ? null : reason;
    }
}
