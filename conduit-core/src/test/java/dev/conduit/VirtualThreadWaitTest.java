package dev.conduit;

import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Virtual threads waiting in {@code receive} or {@code send} on socket connections hold no carrier
 * thread: in a JVM whose scheduler may use only two, 32 of them wait at once and all are served.
 * The socket transports wait in {@code Selector.select} ({@code Readiness}), which the JDK 25 parks
 * on a virtual thread; a wait that blocked its carrier instead (a native {@code epoll_wait} or
 * {@code ppoll}, or a JDK that pinned) would leave the third waiter unstarted, as it would leave
 * the 257th with the default cap of 256 carriers.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class VirtualThreadWaitTest {
    private static final int WAITERS = 32;

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void moreVirtualThreadsWaitAtOnceThanThereAreCarriersAndAllAreServed(String transport) throws Exception {
        Process child = null;
        try (TempDir dir = new TempDir()) {
            String endpoint = transport.equals("unix") ? "unix:" + dir.resolve("v.sock") : "tcp://127.0.0.1:0";
            child = ChildJvm.builder(List.of("-Djdk.virtualThreadScheduler.parallelism=2",
                    "-Djdk.virtualThreadScheduler.maxPoolSize=2"), VirtualWaitersChild.class, endpoint,
                    Integer.toString(WAITERS)).start();
            String said = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int status = child.waitFor();
            System.out.println(transport + ": " + said);
            assertEquals(0, status, endpoint + ": " + said);
            assertTrue(said.startsWith("served " + WAITERS + " waiters"), said);
        } finally {
            ChildJvm.kill(child);
        }
    }
}
