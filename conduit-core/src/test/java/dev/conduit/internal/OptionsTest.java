package dev.conduit.internal;

import dev.conduit.Endpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

@Timeout(10)
class OptionsTest {
    @Test
    void countsKernelCpuLists() {
        assertEquals(1, Options.cpuCount("0\n"));
        assertEquals(2, Options.cpuCount("0-1\n"));
        assertEquals(7, Options.cpuCount("0-3,8,10-11"));
    }

    @Test
    void readsSpinDurations() {
        assertEquals(0, Options.spinNanos(Endpoint.parse("unix:/x?spin=0")));
        assertEquals(20_000, Options.spinNanos(Endpoint.parse("unix:/x?spin=20")));
        assertEquals(20_000, Options.spinNanos(Endpoint.parse("unix:/x?spin=20us")));
        assertEquals(1_500, Options.spinNanos(Endpoint.parse("unix:/x?spin=1500ns")));
        assertEquals(2_000_000, Options.spinNanos(Endpoint.parse("unix:/x?spin=2ms")));
        assertEquals(Long.MAX_VALUE, Options.spinNanos(Endpoint.parse("shm:x?spin=forever")));
        assertEquals(Options.machineCpus() > 1 ? 50_000 : 0, Options.spinNanos(Endpoint.parse("unix:/x")));
    }

    @Test
    void readsSizesWithSuffixes() {
        assertEquals(65_536, Options.size(Endpoint.parse("mem:x?capacity=64k"), "capacity", 1, 0, Long.MAX_VALUE));
        assertEquals(1 << 20, Options.size(Endpoint.parse("mem:x?capacity=1MiB"), "capacity", 1, 0, Long.MAX_VALUE));
        assertEquals(7, Options.size(Endpoint.parse("mem:x"), "capacity", 7, 0, Long.MAX_VALUE));
    }
}
