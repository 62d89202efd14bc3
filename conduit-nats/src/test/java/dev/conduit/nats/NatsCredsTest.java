package dev.conduit.nats;

import dev.conduit.AuthenticationException;
import dev.conduit.Conduit;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.NatsServer;
import dev.conduit.testing.TempDir;
import io.nats.client.NKey;
import io.nats.client.support.JsonSerializable;
import io.nats.client.support.JwtUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ?creds=} against a real nats-server in operator mode (decentralised JWT
 * authentication, as {@code nsc} sets it up): an operator, an account the server trusts, and
 * users whose JWTs the account signed, written to credentials files as {@code nsc} writes them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatsCredsTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void aUserOfATrustedAccountGetsInAndOthersAreRefusedClearly() throws Exception {
        try (TempDir dir = new TempDir()) {
            NKey operator = NKey.createOperator(RANDOM);
            NKey account = NKey.createAccount(RANDOM);
            String config = operatorConfig(dir.path(), operator, account);
            Path good = creds(dir.path().resolve("good.creds"), account);
            Path stranger = creds(dir.path().resolve("stranger.creds"), NKey.createAccount(RANDOM));
            try (NatsServer server = NatsServer.startWithConfig(config)) {
                String endpoint = server.url("secured") + "?creds=" + good;
                try (MessageReceiver receiver = Conduit.openReceiver(endpoint);
                     MessageSender sender = Conduit.openSender(endpoint)) {
                    sender.send("with credentials");
                    assertEquals("with credentials", receiver.receiveString(Duration.ofSeconds(10)));
                }
                AuthenticationException refused = assertThrows(AuthenticationException.class,
                        () -> Conduit.openSender(server.url("secured") + "?creds=" + stranger));
                assertTrue(refused.getMessage().contains(": openSender: the NATS server at 127.0.0.1:" + server.port()
                        + " refused the credentials"), refused.getMessage());
                AuthenticationException none = assertThrows(AuthenticationException.class,
                        () -> Conduit.openReceiver(server.url("secured")));
                assertTrue(none.getMessage().contains("refused a client without credentials (add ?token= or"
                        + " ?creds=)"), none.getMessage());
                Path missing = dir.path().resolve("missing.creds");
                IOException unreadable = assertThrows(IOException.class,
                        () -> Conduit.openSender(server.url("secured") + "?creds=" + missing));
                assertTrue(unreadable.getMessage().endsWith(": openSender: cannot read the credentials file " + missing
                        + " (no such file)"), unreadable.getMessage());
            }
        }
    }

    /** @return the server's configuration: trust {@code operator}, and know {@code account} */
    private static String operatorConfig(Path dir, NKey operator, NKey account) throws Exception {
        String op = new String(operator.getPublicKey());
        long now = JwtUtils.currentTimeSeconds();
        JsonSerializable operatorClaim = () -> "{\"type\":\"operator\",\"version\":2}";
        JsonSerializable accountClaim = () -> "{\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,"
                + "\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1},\"type\":\"account\",\"version\":2}";
        Path operatorJwt = dir.resolve("operator.jwt");
        Files.writeString(operatorJwt, JwtUtils.issueJWT(operator, op, "conduit-test", null, now, op, operatorClaim));
        String accountJwt = JwtUtils.issueJWT(operator, new String(account.getPublicKey()), "conduit", null, now, op,
                accountClaim);
        // The test servers run JetStream, which in operator mode needs a system account.
        String system = new String(NKey.createAccount(RANDOM).getPublicKey());
        String systemJwt = JwtUtils.issueJWT(operator, system, "SYS", null, now, op, accountClaim);
        return "operator: \"" + operatorJwt + "\"\nsystem_account: " + system + "\nresolver: MEMORY\n"
                + "resolver_preload: {\n  " + new String(account.getPublicKey()) + ": \"" + accountJwt + "\"\n  "
                + system + ": \"" + systemJwt + "\"\n}";
    }

    /** Writes a new user of {@code account} as a credentials file, in nsc's format. */
    private static Path creds(Path file, NKey account) throws Exception {
        NKey user = NKey.createUser(RANDOM);
        String jwt = JwtUtils.issueUserJWT(account, new String(account.getPublicKey()), new String(user.getPublicKey()),
                "conduit-user");
        Files.writeString(file, "-----BEGIN NATS USER JWT-----\n" + jwt + "\n------END NATS USER JWT------\n\n"
                + "-----BEGIN USER NKEY SEED-----\n" + new String(user.getSeed()) + "\n------END USER NKEY SEED------\n");
        return file;
    }
}
