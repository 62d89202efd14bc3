package dev.conduit.websocket;

import com.sun.net.httpserver.HttpServer;
import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A real browser as the peer: headless Chromium (Debian's {@code chromium}, which
 * {@code .ci/run} installs) opens {@code interop/browser/echo.html}, served from 127.0.0.1 by
 * this test, which connects to a Conduit {@code ws://} listener that allows only that page's
 * {@code Origin}, and echoes what it is sent. A page from another origin is refused.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BrowserWebSocketInteropTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path PAGE = Path.of(System.getProperty("user.dir")).resolveSibling("interop")
            .resolve("browser").resolve("echo.html");
    private HttpServer http;
    private Process browser;
    private TempDir profile;
    /** What the page reported when its socket closed: {@code opened=...&code=...}. */
    private final CompletableFuture<String> closeReport = new CompletableFuture<>();

    @BeforeAll
    static void needsChromium() {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
                () -> "skipped: " + CHROMIUM + " is missing (install Debian's chromium, as .ci/run does)");
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            // Chromium runs helpers (zygote, renderer, GPU) that write to the profile: stop them all first.
            List<ProcessHandle> helpers = browser.descendants().toList();
            browser.destroyForcibly();
            helpers.forEach(ProcessHandle::destroyForcibly);
            browser.waitFor(10, TimeUnit.SECONDS);
            for (ProcessHandle helper : helpers) {
                helper.onExit().get(10, TimeUnit.SECONDS);
            }
        }
        if (http != null) {
            http.stop(0);
        }
        if (profile != null) {
            profile.close();
        }
    }

    /** @return the page's origin, {@code http://127.0.0.1:PORT} */
    private String servePage() throws Exception {
        byte[] page = Files.readAllBytes(PAGE);
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/echo.html", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
        });
        http.createContext("/report", exchange -> {
            closeReport.complete(exchange.getRequestURI().getQuery());
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        http.start();
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    private void openBrowser(String origin, String webSocketUrl) throws Exception {
        profile = new TempDir();
        browser = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--enable-logging=stderr", "--user-data-dir=" + profile.path(),
                origin + "/echo.html?url=" + URLEncoder.encode(webSocketUrl, StandardCharsets.UTF_8)))
                .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
    }

    @Test
    void aBrowserPageEchoesOverAConduitListener() throws Exception {
        String origin = servePage();
        try (Listener listener = Conduit.listen("ws://127.0.0.1:0/browser?origins="
                + URLEncoder.encode(origin, StandardCharsets.UTF_8))) {
            openBrowser(origin, "ws://" + listener.endpoint().address());
            try (Connection page = listener.accept(Duration.ofSeconds(60))) {
                assertNotNull(page, "the page did not connect; chromium said: " + chromiumLog());
                assertEquals("hello from the browser", page.receiveString(Duration.ofSeconds(30)));
                byte[] binary = new byte[70_000];
                for (int i = 0; i < binary.length; i++) {
                    binary[i] = (byte) (i * 7);
                }
                page.send(binary);
                assertArrayEquals(binary, page.receive(Duration.ofSeconds(30)));
                page.send("text ✓");
                assertEquals("text ✓", page.receiveString(Duration.ofSeconds(30)));
                page.send(new byte[0]);
                assertArrayEquals(new byte[0], page.receive(Duration.ofSeconds(30)));
                page.send("report");
                assertEquals("ok 3", page.receiveString(Duration.ofSeconds(30)));
            }
            assertEquals("opened=true&code=1000", closeReport.get(30, TimeUnit.SECONDS), "how the page saw the close; chromium said: " + chromiumLog());
        }
    }

    @Test
    void aPageFromAnotherOriginIsRefused() throws Exception {
        String origin = servePage();
        try (Listener listener = Conduit.listen("ws://127.0.0.1:0/browser?origins="
                + URLEncoder.encode("https://app.example", StandardCharsets.UTF_8))) {
            openBrowser(origin, "ws://" + listener.endpoint().address());
            assertEquals("opened=false&code=1006", closeReport.get(60, TimeUnit.SECONDS), "what the page saw");
            assertNull(listener.accept(Duration.ofMillis(100)), "a page from " + origin + " was accepted");
        }
    }

    private String chromiumLog() {
        try {
            return Files.readString(profile.resolve("chromium.log"));
        } catch (Exception e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
