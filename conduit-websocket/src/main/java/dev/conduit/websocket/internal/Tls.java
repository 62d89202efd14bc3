package dev.conduit.websocket.internal;

import dev.conduit.spi.support.KeyStores;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

/** The TLS of {@code wss://}: a listener's certificate and key, a client's trust. */
final class Tls {
    private Tls() {
    }

    /**
     * @return the listener's TLS context, or null for {@code ws://}
     * @throws IllegalArgumentException if the options do not fit the scheme
     * @throws IOException naming the file, if a certificate, key or store cannot be read
     */
    static SslContext server(WsSettings s) throws IOException {
        boolean given = s.cert() != null || s.key() != null || s.keyStore() != null;
        if (!s.secure()) {
            if (given) {
                throw new IllegalArgumentException("endpoint '" + s.name() + "': cert, key and keyStore are for"
                        + " wss:// listeners");
            }
            return null;
        }
        if (s.keyStore() == null && (s.cert() == null || s.key() == null)) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': a wss:// listener needs a certificate:"
                    + " cert=CHAIN.pem&key=KEY.pem (PEM, the key unencrypted PKCS#8), or keyStore=FILE"
                    + "&keyStorePassword=...");
        }
        try {
            if (s.keyStore() != null) {
                KeyStore store = KeyStores.load(s.name(), "key store", s.keyStore(), s.keyStorePassword());
                KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, password(s.keyStorePassword()));
                return SslContextBuilder.forServer(keys).build();
            }
            readable(s, s.cert());
            readable(s, s.key());
            return SslContextBuilder.forServer(s.cert().toFile(), s.key().toFile()).build();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException(s.name() + ": listen: the certificate or key cannot be used: " + e.getMessage(), e);
        }
    }

    /**
     * @return the client's TLS context, or null for {@code ws://}: the JDK's trusted authorities,
     *         or the trust store's
     */
    static SslContext client(WsSettings s) throws IOException {
        if (!s.secure()) {
            if (s.trustStore() != null) {
                throw new IllegalArgumentException("endpoint '" + s.name() + "': trustStore is for wss:// clients");
            }
            return null;
        }
        try {
            SslContextBuilder builder = SslContextBuilder.forClient();
            if (s.trustStore() != null) {
                builder.trustManager(KeyStores.trust(s.name(), s.trustStore(), s.trustStorePassword()));
            }
            return builder.build();
        } catch (RuntimeException e) {
            throw new IOException(s.name() + ": connect: the trust store cannot be used: " + e.getMessage(), e);
        }
    }

    /** @return a client's TLS handler, checking that the certificate names {@code host} */
    static SslHandler clientHandler(SslContext context, ByteBufAllocator alloc, String host, int port) {
        SslHandler handler = context.newHandler(alloc, host, port);
        SSLParameters parameters = handler.engine().getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        handler.engine().setSSLParameters(parameters);
        return handler;
    }

    private static char[] password(String password) {
        return password == null ? new char[0] : password.toCharArray();
    }

    private static void readable(WsSettings s, Path file) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException(s.name() + ": cannot read " + file + (Files.exists(file) ? " (no permission)"
                    : " (no such file)"));
        }
    }
}
