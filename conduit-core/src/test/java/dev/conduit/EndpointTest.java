package dev.conduit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.conduit.internal.Options;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EndpointTest {
    private static Endpoint parse(String text, Map<String, String> env, String os) {
        return Endpoint.parse(text, env::get, os);
    }

    private static String error(String text, Map<String, String> env, String os) {
        return assertThrows(IllegalArgumentException.class, () -> parse(text, env, os)).getMessage();
    }

    @Test
    void parsesEveryScheme() {
        Endpoint e = Endpoint.parse("unix:/tmp/app.sock?maxFrame=1024&mode=0660");
        assertEquals("unix", e.scheme());
        assertEquals("/tmp/app.sock", e.address());
        assertEquals(Map.of("maxFrame", "1024", "mode", "0660"), e.options());
        assertEquals("unix:/tmp/app.sock?maxFrame=1024&mode=0660", e.toString());
        assertEquals("pipe", Endpoint.parse("pipe:demo").scheme());
        Endpoint tcp = Endpoint.parse("tcp://127.0.0.1:9000");
        assertEquals("127.0.0.1:9000", tcp.address());
        assertEquals("tcp://127.0.0.1:9000", tcp.toString());
        assertEquals("[::1]:0", Endpoint.parse("tcp://[::1]:0").address());
        assertEquals("mem", Endpoint.parse("MEM:x").scheme());
        assertEquals("stdio", Endpoint.parse("-").scheme());
        assertEquals("stdio", Endpoint.parse("stdio").scheme());
        assertEquals(Map.of("maxFrame", "5"), Endpoint.parse("stdio?maxFrame=5").options());
        assertEquals("host:8080/path", Endpoint.parse("ws://host:8080/path").address());
        assertEquals("true", Endpoint.parse("unix:/a?ack").option("ack").orElseThrow());
        assertEquals("a b&c", Endpoint.parse("unix:/a?x=a+b%26c").option("x").orElseThrow());
    }

    @Test
    void roundTripsThroughToString() {
        for (String text : new String[] {"unix:/tmp/a.sock", "pipe:x?maxFrame=5", "tcp://localhost:1", "mem:m",
                "stdio", "ws://h:1/p?token=a%2Fb", "/tmp/a.sock?ack=ipcez", "relative.sock"}) {
            Endpoint e = Endpoint.parse(text);
            assertEquals(e, Endpoint.parse(e.toString()));
        }
    }

    @Test
    void rejectsMalformedEndpointsClearly() {
        assertEquals("endpoint is empty (expected e.g. unix:/tmp/app.sock, tcp://127.0.0.1:9000)",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("")).getMessage());
        assertEquals("endpoint 'tcp:1234': expected tcp://HOST:PORT",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("tcp:1234")).getMessage());
        assertEquals("endpoint 'tcp://h:70000': expected tcp://HOST:PORT with PORT 0-65535",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("tcp://h:70000")).getMessage());
        assertEquals("endpoint 'unix:': expected unix:PATH",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("unix:")).getMessage());
        assertEquals("endpoint 'unix:/a?x=1&x=2': option x is given twice",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("unix:/a?x=1&x=2")).getMessage());
        assertEquals("endpoint 'unix:/a?=1': invalid option name '' (expected a letter, then letters, digits, '_', "
                + "'.' or '-')", assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("unix:/a?=1"))
                .getMessage());
        assertEquals("endpoint 'unix:/a?': contains a NUL character",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("unix:/a\0")).getMessage());
        String longPath = "/tmp/" + "p".repeat(103);
        assertEquals("endpoint 'unix:" + longPath + "': socket path " + longPath + " is 108 bytes long; the limit is"
                + " 107 (sun_path)", assertThrows(IllegalArgumentException.class,
                () -> Endpoint.parse("unix:" + longPath)).getMessage());
        assertEquals("endpoint 'stdio:x': stdio takes no address",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("stdio:x")).getMessage());
    }

    @Test
    void anyWellFormedSchemeParsesForTheRegistryToJudge() {
        Endpoint e = Endpoint.parse("Echo+v2.x://host/a:b?maxFrame=1k&token=s3cret");
        assertEquals("echo+v2.x", e.scheme());
        assertEquals("//host/a:b", e.address());
        assertEquals(Map.of("maxFrame", "1k", "token", "s3cret"), e.options());
        assertFalse(e.isBare());
        assertFalse(e.isOneWay());
        assertEquals("echo+v2.x://host/a:b?maxFrame=1k&token=s3cret", e.toString());
        assertEquals("echo+v2.x://host/a:b?maxFrame=1k&token=***", e.redacted());
        assertEquals(e, Endpoint.parse(e.toString()));
        assertEquals(e, Endpoint.of("ECHO+v2.x", "//host/a:b", e.options()));
        assertEquals("http:", Endpoint.parse("http:").toString());
        // HOST:PORT is still bare, not a scheme named after the host.
        assertTrue(Endpoint.parse("localhost:9000/x").isBare());
        assertEquals("invalid scheme '1x' (expected a letter, then letters, digits, '+', '-' or '.')",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.of("1x", "a", Map.of())).getMessage());
        assertEquals("endpoint 'echo:a?x=1&x=2': option x is given twice",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("echo:a?x=1&x=2")).getMessage());
    }

    @Test
    void bareEndpointsFollowIpcez() {
        assertEquals("unix", parse("/tmp/app.sock", Map.of(), "linux").scheme());
        assertEquals("unix:relative.sock", describe(parse("relative.sock", Map.of(), "macos")));
        assertEquals("unix:/tmp/a", describe(parse("/tmp/a", Map.of("target", "local", "os", "linux"), "linux")));
        assertEquals("unix:/tmp/a", describe(parse("/tmp/a", Map.of("os", "macos"), "linux")));
        assertEquals("ws:example.org:8080/x", describe(parse("example.org:8080/x", Map.of("target", "remote"),
                "linux")));
        assertEquals("ws://h:1/p", parse("ws://h:1/p", Map.of("target", "local"), "linux").toString());
        assertEquals("pipe:app", describe(parse("app", Map.of(), "windows")));
    }

    private static String describe(Endpoint e) {
        return e.scheme() + ":" + e.address();
    }

    @Test
    void theOsValueIsReadInAnyCaseAndTargetAsWritten() {
        assertEquals("unix:/tmp/a", describe(parse("/tmp/a", Map.of("target", "local", "os", "Linux"), "linux")));
        assertEquals("unix:/tmp/a", describe(parse("/tmp/a", Map.of("os", "LINUX"), "linux")));
        assertEquals("pipe:app", describe(parse("app", Map.of("os", "Windows"), "windows")));
        assertEquals("unsupported combination: os=windows on a linux host, resolving endpoint '/tmp/a' (Windows named"
                + " pipes exist only on Windows; for the .NET convention on this host write pipe:NAME)",
                error("/tmp/a", Map.of("os", "WINDOWS"), "linux"));
        assertEquals("environment variable target=Local is invalid (expected local or remote), resolving endpoint"
                + " '/tmp/a'", error("/tmp/a", Map.of("target", "Local"), "linux"));
    }

    @Test
    void aBareEndpointRemembersItAndIsWrittenBackBare() {
        Endpoint bare = Endpoint.parse("/tmp/ipcez.sock?ack=ipcez");
        assertTrue(bare.isBare());
        assertEquals("/tmp/ipcez.sock?ack=ipcez", bare.toString());
        assertEquals(bare, Endpoint.parse(bare.toString()));
        assertEquals("/tmp/other.sock?ack=ipcez", bare.withAddress("/tmp/other.sock").toString());
        Endpoint scheme = Endpoint.parse("unix:/tmp/ipcez.sock?ack=ipcez");
        assertFalse(scheme.isBare());
        assertNotEquals(bare, scheme);
        assertEquals(scheme.address(), bare.address());
        Endpoint remote = parse("example.org:8080/x", Map.of("target", "remote"), "linux");
        assertEquals("example.org:8080/x", remote.toString());
        assertEquals(remote, parse(remote.toString(), Map.of("target", "remote"), "linux"));
    }

    @Test
    void aBareLocalEndpointDefaultsToIpcezsFourMebibytesAndAnOptionWins() {
        assertEquals(4 << 20, Options.maxFrame(Endpoint.parse("/tmp/a.sock")));
        assertEquals(1024, Options.maxFrame(Endpoint.parse("/tmp/a.sock?maxFrame=1k")));
        assertEquals(16 << 20, Options.maxFrame(Endpoint.parse("unix:/tmp/a.sock")));
        assertEquals(16 << 20, Options.maxFrame(parse("h:1/x", Map.of("target", "remote"), "linux")));
    }

    @Test
    void badEnvironmentValuesAreNamed() {
        assertEquals("environment variable target=cloud is invalid (expected local or remote), resolving endpoint"
                + " '/tmp/a'", error("/tmp/a", Map.of("target", "cloud"), "linux"));
        assertEquals("environment variable os=plan9 is invalid (expected linux, windows or macos, in any case),"
                + " resolving endpoint '/tmp/a'", error("/tmp/a", Map.of("os", "plan9"), "linux"));
        assertEquals("unsupported combination: os=windows on a linux host, resolving endpoint '/tmp/a' (Windows named"
                + " pipes exist only on Windows; for the .NET convention on this host write pipe:NAME)",
                error("/tmp/a", Map.of("os", "windows"), "linux"));
    }

    @Test
    void withAddressKeepsOptions() {
        Endpoint e = Endpoint.parse("tcp://127.0.0.1:0?maxFrame=9");
        assertEquals("tcp://127.0.0.1:4242?maxFrame=9", e.withAddress("127.0.0.1:4242").toString());
    }
}
