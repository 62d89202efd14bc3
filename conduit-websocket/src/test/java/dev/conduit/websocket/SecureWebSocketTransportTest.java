package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import dev.conduit.ListenerContract;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code wss://} against the whole contract, with a self-signed certificate made for the run
 * ({@link TestCertificates}), and what TLS adds: the client verifies, and a PEM key works too.
 */
class SecureWebSocketTransportTest extends ListenerContract {
    private static TempDir dir;
    private static TestCertificates certs;

    @BeforeAll
    static void makeCertificate() throws Exception {
        dir = new TempDir();
        certs = TestCertificates.make(dir.path());
    }

    @AfterAll
    static void removeCertificate() throws IOException {
        dir.close();
    }

    @Override
    protected String endpoint() {
        return "wss://127.0.0.1:0/secure?maxFrame=1m&keyStore=" + certs.keyStore() + "&keyStorePassword="
                + TestCertificates.PASSWORD;
    }

    @Override
    protected String clientEndpoint(Listener listener) {
        return "wss://" + listener.endpoint().address() + "?maxFrame=1m&trustStore=" + certs.certificate();
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateIsRefused() throws Exception {
        Listener listener = listen();
        IOException e = assertThrows(IOException.class,
                () -> Conduit.connect("wss://" + listener.endpoint().address(), Duration.ofSeconds(5)));
        assertTrue(e.getMessage().startsWith("wss://" + listener.endpoint().address() + ": connect: "), e.getMessage());
        assertEquals(null, listener.accept(Duration.ofMillis(100)));
    }

    @Test
    void overTlsTheTokenAndTheOriginAreCheckedToo() throws Exception {
        Listener listener = track(Conduit.listen(endpoint() + "&token=s3cret&origins=https://app.example"));
        String client = clientEndpoint(listener);
        IOException none = assertThrows(IOException.class, () -> Conduit.connect(client, Duration.ofSeconds(5)));
        assertTrue(none.getMessage().contains("HTTP 401"), none.getMessage());
        IOException wrong = assertThrows(IOException.class,
                () -> Conduit.connect(client + "&token=s3cre", Duration.ofSeconds(5)));
        assertTrue(wrong.getMessage().contains("HTTP 401"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("s3cre"), "the token is in the message: " + wrong.getMessage());

        // A browser's request from another page: the right token, the wrong Origin.
        HttpClient browser = HttpClient.newBuilder().sslContext(trusting()).build();
        URI uri = URI.create("wss://" + listener.endpoint().address().replaceFirst("\\?.*", "") + "?token=s3cret");
        CompletionException refused = assertThrows(CompletionException.class, () -> browser.newWebSocketBuilder()
                .header("Origin", "https://evil.example").buildAsync(uri, new WebSocket.Listener() { }).join());
        assertTrue(refused.getCause() instanceof WebSocketHandshakeException h && h.getResponse().statusCode() == 403,
                String.valueOf(refused.getCause()));
        WebSocket allowed = browser.newWebSocketBuilder().header("Origin", "https://app.example")
                .buildAsync(uri, new WebSocket.Listener() { }).join();
        Connection server = track(listener.accept(Duration.ofSeconds(10)));
        assertNotNull(server, "the allowed page reached accept");
        allowed.sendText("from the page", true).join();
        assertEquals("from the page", server.receiveString(Duration.ofSeconds(10)));
        allowed.abort();
        assertEquals(null, listener.accept(Duration.ofMillis(100)), "a refused client reached accept");
    }

    /** @return TLS that trusts the test certificate, for the JDK's own WebSocket client */
    private static SSLContext trusting() throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(KeyStore.getInstance(certs.keyStore().toFile(), TestCertificates.PASSWORD.toCharArray()));
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        return tls;
    }

    @Test
    void aPemCertificateAndKeyServeToo() throws Exception {
        Listener listener = track(Conduit.listen("wss://127.0.0.1:0/pem?cert=" + certs.certificate() + "&key="
                + certs.privateKey()));
        Connection client = track(Conduit.connect("wss://" + listener.endpoint().address() + "?trustStore="
                + certs.keyStore() + "&trustStorePassword=" + TestCertificates.PASSWORD, Duration.ofSeconds(5)));
        Connection server = track(listener.accept(Duration.ofSeconds(10)));
        assertNotNull(server);
        client.send("over TLS");
        assertEquals("over TLS", server.receiveString(Duration.ofSeconds(10)));
    }

    @Test
    void aListenerWithoutACertificateSaysWhatItNeeds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen("wss://127.0.0.1:0/x"));
        assertTrue(e.getMessage().contains("a wss:// listener needs a certificate"), e.getMessage());
        assertThrows(IOException.class, () -> Conduit.listen("wss://127.0.0.1:0/x?cert=" + Path.of("/nonexistent.pem")
                + "&key=/nonexistent.key"));
    }
}
