package dev.conduit.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for 127.0.0.1 and localhost (or the names given), made at run time
 * with the JDK's {@code keytool}: as a PKCS#12 key store, as a PEM certificate, and its key as
 * PEM PKCS#8. The TLS tests of {@code wss://} and {@code nats://} share it.
 *
 * @param keyStore    the PKCS#12 store, password {@link #PASSWORD}
 * @param certificate the certificate, PEM
 * @param privateKey  the key, PEM PKCS#8, unencrypted
 */
public record TestCertificates(Path keyStore, Path certificate, Path privateKey) {
    /** The key store's and the key's password. */
    public static final String PASSWORD = "conduit-test";

    /**
     * @param dir where the files go
     * @return a certificate for 127.0.0.1 and localhost
     */
    public static TestCertificates make(Path dir) throws Exception {
        return make(dir, "ip:127.0.0.1,dns:localhost");
    }

    /**
     * @param dir  where the files go
     * @param names the certificate's subject alternative names, as keytool's {@code SAN=} takes
     *              them (e.g. {@code dns:elsewhere.example})
     * @return a certificate for those names only
     */
    public static TestCertificates make(Path dir, String names) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Path store = dir.resolve("server.p12");
        run(List.of(keytool.toString(), "-genkeypair", "-alias", "conduit", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=" + names, "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD));
        Path cert = dir.resolve("server.pem");
        run(List.of(keytool.toString(), "-exportcert", "-rfc", "-alias", "conduit", "-keystore", store.toString(),
                "-storepass", PASSWORD, "-file", cert.toString()));
        KeyStore ks = KeyStore.getInstance(store.toFile(), PASSWORD.toCharArray());
        PrivateKey key = (PrivateKey) ks.getKey("conduit", PASSWORD.toCharArray());
        Path keyFile = dir.resolve("server.key");
        Files.writeString(keyFile, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64,
                "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        return new TestCertificates(store, cert, keyFile);
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }
}
