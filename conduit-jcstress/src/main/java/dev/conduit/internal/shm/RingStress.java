package dev.conduit.internal.shm;

import java.lang.foreign.Arena;

/** Fresh rings for the stress tests: the same {@link Ring} code, over memory of this process. */
final class RingStress {
    /** A payload a torn read could not produce by accident. */
    static final long PAYLOAD = 0x1122_3344_5566_7788L;

    private RingStress() {
    }

    /** @return an empty ring with a 4 KiB data area */
    static Ring ring() {
        Arena arena = Arena.ofAuto();
        return new Ring(arena.allocate(Ring.CONTROL_BYTES, 128), arena.allocate(4096, 8));
    }
}
