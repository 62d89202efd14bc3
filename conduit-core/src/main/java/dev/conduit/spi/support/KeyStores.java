package dev.conduit.spi.support;

import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

/**
 * Key and trust store files as a plugged-in transport's TLS options name them
 * ({@code ?keyStore=}, {@code ?trustStore=}), read the same way by every transport: a PKCS#12
 * or JKS store, or for trust, PEM certificates. Errors name the endpoint and the file.
 * Stateless and thread-safe; every call reads the file.
 */
public final class KeyStores {
    private KeyStores() {
    }

    /**
     * Reads a store. Blocks while reading the file.
     *
     * @param name     the endpoint as messages show it
     * @param what     what the file is, for messages ({@code trust store}, {@code key store})
     * @param file     a PKCS#12 or JKS store, or a file of PEM certificates (each becomes a
     *                 trusted entry)
     * @param password the store's password, or {@code null} for none
     * @return the store
     * @throws IOException naming the endpoint and the file, if it cannot be read, holds no
     *                     certificate (PEM), or is not a store the password opens
     */
    public static KeyStore load(String name, String what, Path file, String password) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException(name + ": cannot read the " + what + " " + file
                    + (Files.exists(file) ? " (no permission)" : " (no such file)"));
        }
        try {
            if (!isPem(file)) {
                return KeyStore.getInstance(file.toFile(), password == null ? new char[0] : password.toCharArray());
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            try (InputStream in = Files.newInputStream(file)) {
                int i = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("trusted-" + i++, c);
                }
                if (i == 0) {
                    throw new IOException(name + ": the " + what + " " + file + " holds no certificate");
                }
            }
            return store;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(name + ": the " + what + " " + file + " cannot be used: " + e.getMessage(), e);
        }
    }

    /**
     * The trust a TLS client checks a server's certificate against. Blocks while reading the
     * file.
     *
     * @param name     the endpoint as messages show it
     * @param file     the trust store, as {@link #load} reads it; {@code null} for the
     *                 authorities the JVM trusts
     * @param password the store's password, or {@code null} for none
     * @return the trust managers' factory, initialised
     * @throws IOException as {@link #load}
     */
    public static TrustManagerFactory trust(String name, Path file, String password) throws IOException {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(file == null ? null : load(name, "trust store", file, password));
            return trust;
        } catch (GeneralSecurityException e) {
            throw new IOException(name + ": the trust store " + file + " cannot be used: " + e.getMessage(), e);
        }
    }

    private static boolean isPem(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(64), StandardCharsets.US_ASCII).contains("-----BEGIN");
        }
    }
}
