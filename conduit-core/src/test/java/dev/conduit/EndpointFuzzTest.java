package dev.conduit;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import dev.conduit.testing.LongFuzz;
import dev.conduit.testing.QuickFuzz;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The endpoint parser against any text, under any of the environments that steer bare
 * endpoints: it either returns an endpoint or throws {@link IllegalArgumentException} naming the
 * text, nothing else; what it returns is written canonically by {@code toString}, which parses
 * back to the same endpoint; and {@code redacted} parses too, with {@code ***} for every secret.
 */
class EndpointFuzzTest {
    private static final String[] TARGETS = {null, "local", "remote", "elsewhere"};
    private static final String[] OSES = {null, "linux", "macos", "windows", "plan9"};
    private static final String[] HOSTS = {"linux", "macos", "windows"};

    @QuickFuzz
    void parsesOrRefusesAndReadsItsOwnWriting(FuzzedDataProvider data) {
        check(data);
    }

    @LongFuzz
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void parsesOrRefusesAndReadsItsOwnWritingLong(FuzzedDataProvider data) {
        check(data);
    }

    private static void check(FuzzedDataProvider data) {
        String target = data.pickValue(TARGETS);
        String os = data.pickValue(OSES);
        String host = data.pickValue(HOSTS);
        String text = data.consumeRemainingAsString();
        UnaryOperator<String> env = name -> switch (name) {
            case "target" -> target;
            case "os" -> os;
            default -> null;
        };
        Endpoint endpoint;
        try {
            endpoint = Endpoint.parse(text, env, host);
        } catch (IllegalArgumentException e) {
            assertNotNull(e.getMessage());
            return;
        }
        String written = endpoint.toString();
        assertEquals(endpoint, Endpoint.parse(written, env, host), "'" + text + "' written as '" + written + "'");
        String redacted = endpoint.redacted();
        Map<String, String> shown = Endpoint.parse(redacted, env, host).options();
        for (Map.Entry<String, String> option : endpoint.options().entrySet()) {
            boolean secret = option.getKey().equals("token") || option.getKey().equals("authkey")
                    || option.getKey().endsWith("Password");
            assertEquals(secret ? "***" : option.getValue(), shown.get(option.getKey()),
                    "option " + option.getKey() + " of '" + written + "' as redacted: '" + redacted + "'");
        }
    }
}
