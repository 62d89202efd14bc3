package dev.conduit.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

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
}
