package dev.conduit.testing;

import dev.conduit.MessageSender;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.fail;

/** Waiting in a test for a state to be reached, with a time-out, instead of sleeping a fixed time. */
public final class Waits {
    private static final long LOOK_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private Waits() {
    }

    /**
     * Blocks until {@code condition} holds, looking about every millisecond.
     *
     * @param what    the state waited for, for the failure message
     * @param timeout the most to wait; then the test fails
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("gave up after " + timeout.toMillis() + " ms waiting until " + what);
            }
            LockSupport.parkNanos(LOOK_EVERY_NANOS);
        }
    }

    /** @return whether {@code thread} is inside {@code method} of a class whose name ends with {@code className} */
    public static boolean isIn(Thread thread, String className, String method) {
        return Arrays.stream(thread.getStackTrace())
                .anyMatch(f -> f.getMethodName().equals(method) && f.getClassName().endsWith(className));
    }

    /**
     * @return whether a single-threaded process is asleep in the kernel (state {@code S} in
     *         {@code /proc/PID/stat}), as it is in a futex wait, not spinning
     */
    public static boolean isAsleep(Process process) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("S");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Sends with {@code trySend} until it has refused for {@code quiet} straight: buffers between
     * the ends (pumps, relays, the peer's socket) may still be moving data when it first says full.
     *
     * @param message the message to offer as number {@code n}
     * @param most    fails the test once this many are taken: back-pressure never came
     * @return how many messages were taken, numbered from 0
     */
    public static int fillUntilRefused(MessageSender sender, IntFunction<byte[]> message, Duration quiet, int most)
            throws IOException {
        int accepted = 0;
        long refusedSince = 0;
        while (refusedSince == 0 || System.nanoTime() - refusedSince < quiet.toNanos()) {
            if (sender.trySend(message.apply(accepted))) {
                accepted++;
                refusedSince = 0;
                if (accepted >= most) {
                    fail("trySend never reported a full peer: it took " + accepted + " messages");
                }
            } else if (refusedSince == 0) {
                refusedSince = System.nanoTime();
            } else {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }
        return accepted;
    }
}
