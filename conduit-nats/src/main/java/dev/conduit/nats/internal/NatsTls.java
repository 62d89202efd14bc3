package dev.conduit.nats.internal;

import dev.conduit.spi.support.KeyStores;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * The TLS of {@code nats://?tls=true}: the server's certificate checked against the JVM's
 * trusted authorities or {@code ?trustStore=}, and against the host the endpoint names.
 *
 * <p>jnats checks the chain but not the name: any certificate a trusted authority signed, for
 * any host, would do. So the context given to jnats makes sockets that ask the JDK for the
 * host check (endpoint identification {@code HTTPS}, RFC 2818's rules) as {@code wss://} does.
 */
final class NatsTls {
    private NatsTls() {
    }

    /**
     * Makes the client's TLS context.
     *
     * @param s the settings, with {@code tls} on
     * @return the context, whose sockets check the server's name
     * @throws IOException naming the endpoint and the file, if the trust store cannot be read
     *                     or used
     */
    static SSLContext context(NatsSettings s) throws IOException {
        TrustManagerFactory trust = KeyStores.trust(s.name(), s.trustStore(), s.trustStorePassword());
        try {
            SSLContext plain = SSLContext.getInstance("TLS");
            plain.init(null, trust.getTrustManagers(), null);
            return new NamedHostContext(plain);
        } catch (GeneralSecurityException e) {
            throw new IOException(s.name() + ": TLS cannot be set up: " + e.getMessage(), e);
        }
    }

    /** A context whose client sockets check that the certificate names the host they were made for. */
    private static final class NamedHostContext extends SSLContext {
        NamedHostContext(SSLContext plain) {
            super(new Spi(plain), plain.getProvider(), plain.getProtocol());
        }
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext plain;

        Spi(SSLContext plain) {
            this.plain = plain;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
            throw new UnsupportedOperationException("initialised when made");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return new NamedHostSockets(plain.getSocketFactory());
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return plain.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return plain.createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            SSLEngine engine = plain.createSSLEngine(host, port);
            engine.setSSLParameters(checkingName(engine.getSSLParameters()));
            return engine;
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return plain.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return plain.getClientSessionContext();
        }
    }

    private static SSLParameters checkingName(SSLParameters p) {
        p.setEndpointIdentificationAlgorithm("HTTPS");
        return p;
    }

    private static final class NamedHostSockets extends SSLSocketFactory {
        private final SSLSocketFactory plain;

        NamedHostSockets(SSLSocketFactory plain) {
            this.plain = plain;
        }

        private static Socket named(Socket s) {
            SSLSocket tls = (SSLSocket) s;
            tls.setSSLParameters(checkingName(tls.getSSLParameters()));
            return tls;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return plain.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return plain.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return named(plain.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return named(plain.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return named(plain.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return named(plain.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return named(plain.createSocket(address, port, localAddress, localPort));
        }
    }
}
