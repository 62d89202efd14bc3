package dev.conduit.cli;

import dev.conduit.testing.NatsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code conduit listen}, {@code send} and {@code connect} with {@code nats://} endpoints, on a
 * real nats-server of the test's own: plain publishes, request/reply and an interactive
 * connection.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
final class NatsCliTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void sendPublishesAndListenPrintsThePublishesInOrder() throws Exception {
        try (NatsServer server = NatsServer.start();
             CliProcess listen = CliProcess.start("listen", server.url("cli.plain"), "--count", "2")) {
            listen.awaitStderr(line -> line.startsWith("listening on "), WAIT);
            CliTest.Run send = CliTest.run("", "send", server.url("cli.plain"), "hello", "wörld");
            assertEquals(0, send.code(), send.err());
            assertEquals(0, listen.awaitExit(WAIT), listen.stderr().toString());
            assertEquals(List.of("hello", "wörld"), listen.stdout());
        }
    }

    @Test
    void sendWithReplyAndConnectTalkToAnEchoingListener() throws Exception {
        try (NatsServer server = NatsServer.start();
             CliProcess echo = CliProcess.start("listen", server.url("cli.echo"), "--echo", "--count", "3")) {
            echo.awaitStderr(line -> line.startsWith("listening on "), WAIT);
            CliTest.Run send = CliTest.run("", "send", server.url("cli.echo"), "--reply", "ping");
            assertEquals(0, send.code(), send.err());
            assertEquals(List.of("ping"), send.outLines());
            try (CliProcess connect = CliProcess.startPiped(List.of(), "connect", server.url("cli.echo"))) {
                connect.writeLine("one");
                connect.writeLine("two");
                connect.awaitStdoutLines(2, WAIT);
                assertEquals(List.of("one", "two"), connect.stdout());
                connect.stdin().close();
                assertEquals(0, connect.awaitExit(WAIT), connect.stderr().toString());
            }
            assertEquals(0, echo.awaitExit(WAIT), echo.stderr().toString());
        }
    }
}
