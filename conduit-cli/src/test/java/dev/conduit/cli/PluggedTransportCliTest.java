package dev.conduit.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line with a transport plugged in from outside {@code dev.conduit} (the test-only
 * {@code echo:}, {@code example.echo.EchoTransport}): the CLI names no transport, so it serves
 * any scheme the registry has.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class PluggedTransportCliTest {
    @Test
    void helpListsThePluggedInScheme() {
        CliTest.Run help = CliTest.run("", "--help");
        assertEquals(0, help.code(), help.err());
        String flat = help.out().replaceAll("\\s+", " ");
        assertTrue(flat.matches(".*the schemes of this build: [a-z, ]*\\becho\\b.*"), help.out());
    }

    @Test
    void sendAndListenWork() throws Exception {
        String endpoint = "echo:cli-" + System.nanoTime();
        CompletableFuture<CliTest.Run> listen = CompletableFuture.supplyAsync(
                () -> CliTest.run("", "listen", endpoint, "--count", "2"));
        CliTest.Run send = CliTest.run("", "send", endpoint, "hello", "plug\\nin");
        assertEquals(0, send.code(), send.err());
        CliTest.Run listened = listen.get(30, TimeUnit.SECONDS);
        assertEquals(0, listened.code(), listened.err());
        assertEquals(List.of("hello", "plug\\nin"), listened.outLines().subList(listened.outLines().size() - 2,
                listened.outLines().size()), listened.out());
    }

    @Test
    void listenEchoesAndSendPrintsTheReply() throws Exception {
        String endpoint = "echo:cli-echo-" + System.nanoTime();
        CompletableFuture<CliTest.Run> listen = CompletableFuture.supplyAsync(
                () -> CliTest.run("", "listen", endpoint, "--echo", "--count", "1"));
        CliTest.Run send = CliTest.run("", "send", endpoint, "--reply", "ping");
        assertEquals(0, send.code(), send.err());
        assertEquals(List.of("ping"), send.outLines());
        assertEquals(0, listen.get(30, TimeUnit.SECONDS).code());
    }
}
