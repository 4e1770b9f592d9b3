package dev.flashmoe.cuda;

import dev.flashmoe.ErrorCode;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.cuda.internal.FlashMoeC;
import java.nio.charset.StandardCharsets;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/**
 * Loads libflashmoe once, answers whether the CUDA backend is usable here (never throwing), and turns C API statuses
 * into typed exceptions. The only class in dev.flashmoe.cuda that decides how a native failure looks in Java.
 */
final class NativeLibrary {
    static final String PLATFORM = "linux-x86_64";

    /** What the probe learnt; {@code unavailableReason} is null when the backend is usable. */
    record Probe(String unavailableReason, String description, int deviceCount) {}

    private static volatile Probe probe;

    private NativeLibrary() {}

    /** The cached probe; the first call loads the library and counts devices. Never throws. */
    static Probe probe() {
        Probe p = probe;
        if (p == null) {
            synchronized (NativeLibrary.class) {
                p = probe;
                if (p == null) {
                    p = runProbe();
                    probe = p;
                }
            }
        }
        return p;
    }

    private static volatile String loadFailure;

    /** Throws unless libflashmoe and its JNI binding are loaded (a GPU is not needed). */
    static void requireLoaded() {
        probe();
        String failure = loadFailure;
        if (failure != null) {
            throw new FlashMoeException(ErrorCode.UNSUPPORTED, failure);
        }
    }

    private static Probe runProbe() {
        String platform;
        try {
            platform = Loader.getPlatform();
        } catch (Throwable t) {
            loadFailure = "JavaCPP (org.bytedeco:javacpp) is not usable: " + t;
            return unusable("JavaCPP (org.bytedeco:javacpp) is not usable: " + t);
        }
        if (!PLATFORM.equals(platform)) {
            loadFailure = "libflashmoe is built for " + PLATFORM + " only; this platform is " + platform;
            return unusable("libflashmoe is built for " + PLATFORM + " only; this platform is " + platform);
        }
        try {
            Loader.load(FlashMoeC.class);
        } catch (Throwable t) {
            loadFailure = "libflashmoe could not be loaded: " + t;
            return unusable("libflashmoe could not be loaded (" + t.getClass().getSimpleName() + ": " + t.getMessage()
                    + "); was flashmoe-native built with -Dflashmoe.native.skip=true, or does libflashmoe.so need a"
                    + " library missing here?");
        }
        try {
            int version = FlashMoeC.flashmoe_c_api_version();
            String build = string(FlashMoeC.flashmoe_build_info());
            if (version != FlashMoeC.EXPECTED_C_API_VERSION) {
                return unusable("libflashmoe speaks C API version " + version + ", these bindings expect "
                        + FlashMoeC.EXPECTED_C_API_VERSION + " (" + build + ")");
            }
            int[] count = new int[1];
            int status = FlashMoeC.flashmoe_device_count(count);
            if (status != FlashMoeC.FLASHMOE_SUCCESS) {
                return unusable("flashmoe_device_count failed: " + ErrorCode.fromNativeStatus(status) + ": "
                        + lastMessage() + " (" + build + ")");
            }
            if (count[0] <= 0) {
                String visible = System.getenv("CUDA_VISIBLE_DEVICES");
                return unusable("no CUDA device: flashmoe_device_count() = 0 (no NVIDIA driver, no GPU"
                        + (visible != null ? ", or CUDA_VISIBLE_DEVICES=" + visible + " hides them" : "")
                        + "); library loaded: C API v" + version + ", " + build);
            }
            String name = deviceName(0);
            String description = "CUDA: " + name + (count[0] > 1 ? " (+" + (count[0] - 1) + " more)" : "")
                    + ", flashmoe C API v" + version + ", " + build;
            return new Probe(null, description, count[0]);
        } catch (Throwable t) {
            return unusable("libflashmoe loaded but failed its first calls: " + t);
        }
    }

    private static Probe unusable(String reason) {
        return new Probe(reason, "CUDA backend unavailable: " + reason, 0);
    }

    static String deviceName(int device) {
        byte[] buffer = new byte[256];
        int status = FlashMoeC.flashmoe_device_name(device, buffer, buffer.length);
        if (status != FlashMoeC.FLASHMOE_SUCCESS) {
            return "device " + device + " (name unknown: " + lastMessage() + ")";
        }
        int end = 0;
        while (end < buffer.length && buffer[end] != 0) {
            end++;
        }
        return new String(buffer, 0, end, StandardCharsets.UTF_8);
    }

    /** Throws the typed exception for a non-zero status of {@code call}; reads the thread-local message first. */
    /**
     * Rejects a stream that belongs to another device than {@code device}, before anything is launched on it. The
     * special handles (0 = legacy default, 1, 2 = per-thread) follow the layer's device and always pass.
     */
    static void checkStreamDevice(dev.flashmoe.CudaStream stream, int device) {
        int[] owner = new int[1];
        check(FlashMoeC.flashmoe_stream_device(stream.handle(), owner), "flashmoe_stream_device");
        if (owner[0] >= 0 && owner[0] != device) {
            throw new dev.flashmoe.InvalidArgumentException("stream", "0x" + Long.toHexString(stream.handle()),
                    "belongs to CUDA device " + owner[0] + ", but the layer runs on device " + device);
        }
    }

    static void check(int status, String call) {
        if (status == FlashMoeC.FLASHMOE_SUCCESS) {
            return;
        }
        String message = lastMessage();
        boolean fatal = FlashMoeC.flashmoe_last_error_fatal() != 0;
        ErrorCode code = ErrorCode.fromNativeStatus(status);
        String text = message.isEmpty() ? "(no message)" : message;
        if (code == ErrorCode.INVALID_ARGUMENT) {
            throw new InvalidArgumentException(call, "rejected by libflashmoe", text);
        }
        throw new FlashMoeException(code, call + " failed: " + text + (code == ErrorCode.INTERNAL
                && status != ErrorCode.INTERNAL.nativeStatus() ? " (unknown status " + status + ")" : ""), fatal,
                null);
    }

    private static String lastMessage() {
        return string(FlashMoeC.flashmoe_last_error_message());
    }

    private static String string(BytePointer p) {
        return p == null || p.isNull() ? "" : p.getString(StandardCharsets.UTF_8);
    }
}
