package dev.conduit.nats;

import dev.conduit.AuthenticationException;
import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.FrameTooLongException;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.NatsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The issue's bad input: no server, a message over max_payload, a wrong token, a subject with spaces. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatsBadInputTest {
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aServerThatIsNotThereIsAnErrorNamingTheEndpointAndTheTimeWaited() throws Exception {
        String endpoint = "nats://127.0.0.1:" + closedPort() + "/orders";
        IOException e = assertThrows(IOException.class, () -> Conduit.openSender(endpoint, Duration.ofMillis(300)));
        assertTrue(e.getMessage().startsWith(endpoint + ": openSender: no NATS server answered at 127.0.0.1:"),
                e.getMessage());
        assertTrue(e.getMessage().matches(".* after waiting [0-9.]+ ms \\(.*"), e.getMessage());
        IOException once = assertThrows(IOException.class, () -> Conduit.openReceiver(endpoint));
        assertTrue(once.getMessage().startsWith(endpoint + ": openReceiver: no NATS server answered"), once.getMessage());
        IOException connect = assertThrows(IOException.class, () -> Conduit.connect(endpoint, Duration.ofMillis(200)));
        assertTrue(connect.getMessage().startsWith(endpoint + ": connect: no NATS server answered"),
                connect.getMessage());
    }

    @Test
    void aMessageOverMaxPayloadIsRefusedAndTheSenderStaysUsable() throws Exception {
        try (NatsServer server = NatsServer.startWithConfig("max_payload: 65536");
             MessageReceiver receiver = Conduit.openReceiver(server.url("big"));
             MessageSender sender = Conduit.openSender(server.url("big"))) {
            FrameTooLongException e = assertThrows(FrameTooLongException.class, () -> sender.send(new byte[65537]));
            assertEquals(server.url("big") + ": send: frame length 65537 exceeds maxFrame 65536", e.getMessage());
            sender.send(new byte[65536]);
            assertEquals(65536, receiver.receive(Duration.ofSeconds(10)).length);
            IllegalArgumentException wanted = assertThrows(IllegalArgumentException.class,
                    () -> Conduit.openSender(server.url("big") + "?maxFrame=1m"));
            assertEquals("endpoint '" + server.url("big") + "?maxFrame=1m': openSender: maxFrame 1048576 exceeds the"
                    + " NATS server's max_payload 65536 (lower maxFrame, or raise max_payload in the server's"
                    + " configuration)", wanted.getMessage());
        }
    }

    @Test
    void aWrongTokenIsAnAuthenticationErrorThatDoesNotShowTheToken() throws Exception {
        try (NatsServer server = NatsServer.start("--auth", "s3cret")) {
            AuthenticationException e = assertThrows(AuthenticationException.class,
                    () -> Conduit.openSender(server.url("x") + "?token=wrong"));
            assertTrue(e.getMessage().startsWith(server.url("x") + "?token=***: openSender: the NATS server at"
                    + " 127.0.0.1:" + server.port() + " refused the token"), e.getMessage());
            assertFalse(e.getMessage().contains("wrong"), e.getMessage());
            AuthenticationException none = assertThrows(AuthenticationException.class,
                    () -> Conduit.connect(server.url("x")));
            assertTrue(none.getMessage().contains("refused a client without credentials (add ?token= or ?creds=)"),
                    none.getMessage());
            try (MessageReceiver receiver = Conduit.openReceiver(server.url("x") + "?token=s3cret");
                 MessageSender sender = Conduit.openSender(server.url("x") + "?token=s3cret")) {
                sender.send("in");
                assertEquals("in", receiver.receiveString(Duration.ofSeconds(10)));
            }
        }
    }

    @Test
    void aSubjectWithSpacesOrAnEmptyTokenIsRefused() {
        IllegalArgumentException spaces = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender("nats://127.0.0.1:4222/orders%20eu"));
        assertEquals("endpoint 'nats://127.0.0.1:4222/orders%20eu': subject 'orders eu' is not a NATS subject"
                + " (expected tokens separated by dots, without spaces or empty tokens, e.g. orders.eu)",
                spaces.getMessage());
        IllegalArgumentException space = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender("nats://127.0.0.1:4222/orders eu"));
        assertTrue(space.getMessage().contains("orders eu"), space.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver("nats://127.0.0.1:4222/orders..eu"));
        assertEquals("endpoint 'nats://127.0.0.1:4222/orders..eu': subject 'orders..eu' is not a NATS subject"
                + " (expected tokens separated by dots, without spaces or empty tokens, e.g. orders.eu)",
                empty.getMessage());
        IllegalArgumentException wildcard = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender("nats://127.0.0.1:4222/orders.*"));
        assertEquals("endpoint 'nats://127.0.0.1:4222/orders.*': openSender: subject orders.* has a wildcard"
                + " ('*' or '>'), which only a subscriber may use", wildcard.getMessage());
        IllegalArgumentException noSubject = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender("nats://127.0.0.1:4222"));
        assertEquals("endpoint 'nats://127.0.0.1:4222': expected nats://HOST:PORT/SUBJECT", noSubject.getMessage());
    }

    @Test
    void connectWithNobodyServingTheSubjectSaysSo() throws Exception {
        try (NatsServer server = NatsServer.start()) {
            IOException e = assertThrows(IOException.class, () -> Conduit.connect(server.url("nobody")));
            assertEquals(server.url("nobody") + ": connect: no listener serves subject nobody", e.getMessage());
            IOException waited = assertThrows(IOException.class,
                    () -> Conduit.connect(server.url("nobody"), Duration.ofMillis(300)));
            assertEquals(server.url("nobody") + ": connect: no listener serves subject nobody after waiting 300 ms",
                    waited.getMessage());
        }
    }

    @Test
    void aListenerAnswersAPlainNatsRequestAsAConnectionOfOneMessage() throws Exception {
        try (NatsServer server = NatsServer.start();
             Listener listener = Conduit.listen(server.url("svc"))) {
            io.nats.client.Connection raw = io.nats.client.Nats.connect("nats://127.0.0.1:" + server.port());
            var reply = raw.requestWithTimeout("svc", "ping".getBytes(), Duration.ofSeconds(10));
            try (Connection c = listener.accept(Duration.ofSeconds(10))) {
                assertEquals("ping", c.receiveString(Duration.ofSeconds(10)));
                c.send("pong");
                assertThrows(dev.conduit.ConnectionClosedException.class, () -> c.receive(Duration.ofSeconds(1)));
            }
            assertArrayEquals("pong".getBytes(), reply.get(10, TimeUnit.SECONDS).getData());
            raw.close();
        }
    }
}
