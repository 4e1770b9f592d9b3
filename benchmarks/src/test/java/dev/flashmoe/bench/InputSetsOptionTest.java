package dev.flashmoe.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** --input-sets: 1 by default (the numbers), bounded, and refused where only the CPU reference runs. */
class InputSetsOptionTest {
    @Test
    void defaultIsOneSetAndSaysNothing() {
        Main.Options o = Main.Options.parse(new String[] {"--backend", "cpu"});
        assertEquals(1, o.inputSets);
        assertEquals("", Main.inputSetsNote(o));
    }

    @Test
    void boundsAndBackend() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> Main.Options.parse(new String[] {"--backend", "cpu", "--input-sets", "0"}));
        assertTrue(zero.getMessage().contains("--input-sets"), zero.getMessage());
        IllegalArgumentException cpu = assertThrows(IllegalArgumentException.class,
                () -> Main.Options.parse(new String[] {"--backend", "cpu", "--input-sets", "4"}));
        assertTrue(cpu.getMessage().contains("CUDA"), cpu.getMessage());
        IllegalArgumentException many = assertThrows(IllegalArgumentException.class,
                () -> Main.Options.parse(new String[] {"--backend", "cpu", "--input-sets", "1025"}));
        assertTrue(many.getMessage().contains("1024"), many.getMessage());
        assertEquals(1, Main.Options.parse(new String[] {"--backend", "cpu", "--input-sets", "1"}).inputSets);
    }

    @Test
    void noteNamesTheRotation() {
        Main.Options o = new Main.Options();
        o.inputSets = 8;
        assertEquals(" over 8 input sets in turn (replay i: set i mod 8; floor and check of set 0)",
                Main.inputSetsNote(o));
    }
}
