package dev.conduit.nats;

import dev.conduit.Conduit;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.NatsServer;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ?tls=true} against a real nats-server with a self-signed certificate: trusted through
 * {@code ?trustStore=} (PEM or PKCS#12), refused when not trusted, and refused when it names
 * another host, which jnats alone would accept.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatsTlsTest {
    private static TempDir dir;
    private static TestCertificates certs;

    @BeforeAll
    static void makeCertificates() throws Exception {
        dir = new TempDir();
        certs = TestCertificates.make(dir.path());
    }

    @AfterAll
    static void removeCertificates() throws IOException {
        dir.close();
    }

    private static NatsServer tlsServer(TestCertificates c) throws IOException {
        return NatsServer.start("--tls", "--tlscert", c.certificate().toString(), "--tlskey", c.privateKey().toString());
    }

    @Test
    void aServerWhoseAuthorityIsInTheTrustStoreCarriesMessages() throws Exception {
        try (NatsServer server = tlsServer(certs)) {
            String pem = server.url("secure") + "?tls=true&trustStore=" + certs.certificate();
            String p12 = server.url("secure") + "?tls=true&trustStore=" + certs.keyStore() + "&trustStorePassword="
                    + TestCertificates.PASSWORD;
            try (MessageReceiver receiver = Conduit.openReceiver(pem);
                 MessageSender sender = Conduit.openSender(p12)) {
                sender.send("over tls");
                assertEquals("over tls", receiver.receiveString(Duration.ofSeconds(10)));
            }
        }
    }

    @Test
    void aServerTheJvmDoesNotTrustIsRefusedAtOnceSayingWhy() throws Exception {
        try (NatsServer server = tlsServer(certs)) {
            String endpoint = server.url("secure") + "?tls=true";
            IOException e = assertThrows(IOException.class, () -> Conduit.openSender(endpoint, Duration.ofSeconds(20)));
            assertTrue(e.getMessage().startsWith(endpoint + ": openSender: TLS with the NATS server at 127.0.0.1:"
                    + server.port() + " failed: "), e.getMessage());
            assertTrue(e.getMessage().contains("certification path") || e.getMessage().contains("certificate"),
                    e.getMessage());
        }
    }

    @Test
    void aCertificateForAnotherHostIsRefused() throws Exception {
        try (TempDir other = new TempDir()) {
            TestCertificates elsewhere = TestCertificates.make(other.path(), "dns:elsewhere.example");
            try (NatsServer server = tlsServer(elsewhere)) {
                String endpoint = server.url("secure") + "?tls=true&trustStore=" + elsewhere.certificate();
                IOException e = assertThrows(IOException.class, () -> Conduit.openReceiver(endpoint));
                assertTrue(e.getMessage().startsWith(server.url("secure") + "?tls=true&trustStore="), e.getMessage());
                assertTrue(e.getMessage().contains(": openReceiver: TLS with the NATS server at 127.0.0.1:"
                        + server.port() + " failed: "), e.getMessage());
                assertTrue(e.getMessage().endsWith("No subject alternative names matching IP address 127.0.0.1 found"),
                        e.getMessage());
            }
        }
    }

    @Test
    void trustStoreOptionsWithoutTlsOrAnUnreadableStoreAreRefused() throws Exception {
        IllegalArgumentException plain = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender("nats://127.0.0.1:4222/x?trustStore=/tmp/ca.pem"));
        assertEquals("endpoint 'nats://127.0.0.1:4222/x?trustStore=%2Ftmp%2Fca.pem': trustStore and trustStorePassword"
                + " are for TLS: add ?tls=true", plain.getMessage());
        String missing = "nats://127.0.0.1:4222/x?tls=true&trustStore=" + dir.path().resolve("none.pem");
        IOException e = assertThrows(IOException.class, () -> Conduit.openSender(missing));
        assertEquals(dev.conduit.Endpoint.parse(missing).redacted() + ": cannot read the trust store " + dir.path().resolve("none.pem") + " (no such file)",
                e.getMessage());
    }
}
