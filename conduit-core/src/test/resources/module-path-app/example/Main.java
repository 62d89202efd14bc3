package example;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;

import java.time.Duration;

/**
 * Listens on each endpoint given, connects to it, and sends a message each way; prints
 * {@code ok SCHEME} for each. Exits 1 with the failure on standard error otherwise.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Duration wait = Duration.ofSeconds(20);
        System.out.println("module " + Conduit.class.getModule().getName() + ", named " + Main.class.getModule().isNamed());
        for (String endpoint : args) {
            try (Listener listener = Conduit.listen(endpoint);
                    Connection client = Conduit.connect(listener.endpoint(), wait);
                    Connection server = listener.accept(wait)) {
                client.send("ping over " + endpoint);
                String ping = server.receiveString(wait);
                server.send("pong");
                String pong = client.receiveString(wait);
                if (!ping.equals("ping over " + endpoint) || !pong.equals("pong")) {
                    throw new AssertionError(endpoint + ": got '" + ping + "' and '" + pong + "'");
                }
                System.out.println("ok " + listener.endpoint().scheme());
            }
        }
    }
}
