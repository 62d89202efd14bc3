package dev.conduit.internal.shm;

import dev.conduit.internal.posix.Membarrier;

import java.lang.foreign.Arena;

/** Fresh rings for the stress tests: the same {@link Ring} code, over memory of this process. */
final class RingStress {
    /** A payload a torn read could not produce by accident. */
    static final long PAYLOAD = 0x1122_3344_5566_7788L;

    private RingStress() {
    }

    /** @return an empty ring with a 4 KiB data area */
    static Ring ring() {
        return ring(false);
    }

    /**
     * @param membarrier whether the ring uses the membarrier handshake; needs a kernel with
     *                   {@code MEMBARRIER_CMD_GLOBAL_EXPEDITED}
     * @return an empty ring with a 4 KiB data area
     */
    static Ring ring(boolean membarrier) {
        if (membarrier && !Membarrier.registerGlobal()) {
            throw new IllegalStateException("this kernel offers no MEMBARRIER_CMD_GLOBAL_EXPEDITED");
        }
        Arena arena = Arena.ofAuto();
        Ring ring = new Ring(arena.allocate(Ring.CONTROL_BYTES, 128), arena.allocate(4096, 8));
        ring.useMembarrier(membarrier);
        return ring;
    }
}
