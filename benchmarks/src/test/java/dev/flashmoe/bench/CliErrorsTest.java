package dev.flashmoe.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.FlashMoe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees of a bad command line (no GPU): messages that name the option and what it takes, one `error:` line
 * and exit status 2 for bad arguments, 1 for failures at run time, no stack trace, and nothing run before the layer's
 * arguments are known good.
 */
class CliErrorsTest {
    record Outcome(int status, String out, String err) {}

    static Outcome execute(Function<String[], Integer> main, String... argv) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int status = main.apply(argv);
            return new Outcome(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static String parseError(String... argv) {
        return assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(argv)).getMessage();
    }

    /** One error line first, no trace. */
    static void assertOneErrorLine(Outcome r, String... parts) {
        String first = r.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith("error: "), r.err());
        for (String part : parts) {
            assertTrue(first.contains(part), "'" + part + "' in: " + first);
        }
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
    }

    @Test
    void unknownOptionsAndStrayWordsAreNamedAsSuch() {
        assertEquals("unknown option --bogus", parseError("--backend", "cpu", "--bogus"));
        assertEquals("unknown option --bogus", parseError("--bogus", "1"));
        assertTrue(parseError("--backend", "cpu", "extra").startsWith("unexpected argument 'extra'"));
        assertEquals("missing value after --tokens", parseError("--tokens"));
    }

    @Test
    void numbersNameTheOptionAndTheirRange() {
        assertEquals("--tokens takes an integer in [1, 1048576], got 'abc'", parseError("--tokens", "abc"));
        assertEquals("--tokens takes an integer in [1, 1048576], got '100000000'", parseError("--tokens", "100000000"));
        assertEquals("--warmup takes an integer >= 0, got '-1'", parseError("--warmup", "-1"));
        assertEquals(0, Main.Options.parse(new String[] {"--backend", "cpu", "--warmup", "0"}).warmup);
        assertTrue(parseError("--iters", "0").startsWith("--iters takes an integer >= 1"));
        assertTrue(parseError("--check-tokens", "-3").startsWith("--check-tokens takes an integer >= 1"));
        assertTrue(parseError("--hidden", "x").startsWith("--hidden takes an integer"));
        assertEquals("--seed takes an integer, got '4.2'", parseError("--seed", "4.2"));
        assertEquals("--copy-tbps takes a number > 0, got 'Infinity'", parseError("--copy-tbps", "Infinity"));
        assertEquals("--matmul-tflops takes a number > 0, got 'NaN'", parseError("--matmul-tflops", "NaN"));
        String sweep = parseError("--backend", "cpu", "--sweep", "1,,x");
        assertTrue(sweep.startsWith("--sweep takes 'preset' or token counts separated by commas") && sweep.endsWith(
                "got '1,,x'"), sweep);
        assertTrue(parseError("--backend", "cpu", "--sweep", "1,").contains("'1,'"), "an empty last entry");
    }

    @Test
    void choicesListTheAcceptedValues() {
        assertEquals("--dtype takes bf16 | fp16 | fp32, got 'int8'", parseError("--dtype", "int8"));
        assertEquals("--dtype takes bf16 | fp16 | fp32, got 'int32'", parseError("--dtype", "int32"),
                "a DataType, but no layer dtype");
        assertEquals("--activation takes silu | gelu_erf | gelu_tanh | relu | identity, got 'tanh'",
                parseError("--activation", "tanh"));
        assertEquals("--kernel-path takes fused | unfused, got 'both'", parseError("--kernel-path", "both"));
        assertEquals("--expert-outputs takes auto | fp32, got 'bf16'", parseError("--expert-outputs", "bf16"));
        Main.Options fp32 = Main.Options.parse(new String[] {"--backend", "cpu", "--expert-outputs", "fp32"});
        assertEquals(dev.flashmoe.ExpertOutputPrecision.FP32, fp32.expertOutputs);
        assertEquals(dev.flashmoe.ExpertOutputPrecision.FP32,
                Main.layerArgs(fp32, fp32.shape(), 4).expertOutputPrecision(), "reaches the layer's InitArgs");
        assertEquals(dev.flashmoe.ExpertOutputPrecision.AUTO,
                Main.Options.parse(new String[] {"--backend", "cpu"}).expertOutputs, "the default");
        assertEquals("--backend takes auto | cuda | cpu, got 'gpu'", parseError("--backend", "gpu"));
        assertEquals(DataType.FP16, Main.Options.parse(new String[] {"--backend", "cpu", "--dtype", "FP16"}).dtype);
    }

    @Test
    void layerRulesFailBeforeAnyWeightsWithStatusTwo() {
        Outcome topK = execute(Main::execute, "--backend", "cpu", "--preset", "tiny", "--topk", "20");
        assertEquals(2, topK.status());
        assertOneErrorLine(topK, "topK = 20", "[1, 16]", "--topk");
        assertEquals("", topK.out(), "nothing ran");
        Outcome hidden = execute(Main::execute, "--backend", "cpu", "--preset", "tiny", "--hidden", "3");
        assertEquals(2, hidden.status());
        assertOneErrorLine(hidden, "hiddenSize = 3", "--hidden");
        Outcome parse = execute(Main::execute, "--tokens", "abc");
        assertEquals(2, parse.status());
        assertOneErrorLine(parse, "--tokens takes an integer");
    }

    @Test
    void aWeightTensorTooLargeForTheHostStopsBeforeItIsMade() {
        long start = System.nanoTime();
        Outcome r = execute(Main::execute, "--backend", "cpu", "--preset", "deepseek-v3", "--tokens", "4");
        assertEquals(2, r.status());
        assertOneErrorLine(r, "deepseek-v3 on the CPU backend", "7516192768 bytes", "2^31-1", "--backend cuda");
        assertEquals("", r.out(), "no weights generated");
        assertTrue(System.nanoTime() - start < 5e9, "at once");
    }

    @Test
    void noUsableGpuIsAFailureAtRunTimeWithStatusOne() {
        assumeFalse(FlashMoe.backendStatus().get(BackendKind.CUDA).isEmpty(), "a usable GPU here");
        Outcome r = execute(Main::execute, "--backend", "cuda", "--preset", "tiny");
        assertEquals(1, r.status());
        assertOneErrorLine(r, "NO_DEVICE");
        assertEquals(1, r.err().lines().count(), "no usage after a failure that is not the arguments': " + r.err());
    }

    @Test
    void cpuRunSaysTraceIsIgnoredAndCountsItsSampledTokens() {
        Outcome r = execute(Main::execute, "--backend", "cpu", "--preset", "tiny", "--tokens", "4", "--iters", "1",
                "--trace");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("--trace ignored"), r.out());
        assertTrue(r.out().contains("over 4 sampled tokens vs fp64"), r.out());
        String row = r.out().lines().filter(l -> l.matches(" +4 .*")).findFirst().orElseThrow();
        assertTrue(Double.parseDouble(row.trim().split("\\s+")[4]) > 0, "TFLOP/s is not 0: " + row);
    }

    @Test
    void expertParallelMainReportsBadPathsAndValues(@TempDir Path dir) throws Exception {
        Path nope = dir.resolve("nope1");
        Outcome missing = execute(ExpertParallelMain::execute, "--weak-scaling", nope + "," + dir.resolve("nope2"));
        assertEquals(2, missing.status());
        assertOneErrorLine(missing, "--weak-scaling: " + nope + " does not exist");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Outcome noSummary = execute(ExpertParallelMain::execute, "--weak-scaling", empty.toString());
        assertEquals(2, noSummary.status());
        assertOneErrorLine(noSummary, "--weak-scaling: no " + empty.resolve("summary.json"));
        Files.writeString(dir.resolve("summary.json"), "{\"ranks\": 2}");
        Outcome garbled = execute(ExpertParallelMain::execute, "--weak-scaling", dir.toString());
        assertEquals(2, garbled.status());
        assertOneErrorLine(garbled, "is not a summary.json", "latency_ms");
        Outcome tokens = execute(ExpertParallelMain::execute, "--tokens", "abc");
        assertEquals(2, tokens.status());
        assertOneErrorLine(tokens, "--tokens takes an integer in [1, 1048576], got 'abc'");
        assertThrows(IllegalArgumentException.class, () -> ExpertParallelMain.parse(new String[] {"--warmup", "-1"}));
        assertThrows(IllegalArgumentException.class, () -> ExpertParallelMain.parse(new String[] {"--dtype", "int8"}));
        assertThrows(IllegalArgumentException.class,
                () -> ExpertParallelMain.parse(new String[] {"--bootstrap", "nfs"}));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ExpertParallelMain.parse(new String[] {"extra"}))
                .getMessage().startsWith("unexpected argument 'extra'"));
    }
}
