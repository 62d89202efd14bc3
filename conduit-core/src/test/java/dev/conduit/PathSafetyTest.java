package dev.conduit;

import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Names and paths a hostile or careless caller could pass, across every transport that makes
 * files or named objects: NUL characters, names that climb out of their directory, names too
 * long for the kernel, and symbolic links planted where Conduit will make a socket, a FIFO or a
 * log. Each is refused before anything is made, with a message that names the endpoint and the
 * reason; a planted link and what it points to are left as they were.
 */
class PathSafetyTest {
    private static final String LONG = "x".repeat(120);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "unix:/tmp/a<NUL>b.sock        | contains a NUL character",
            "pipe:a<NUL>b                  | contains a NUL character",
            "shm:a<NUL>b                   | contains a NUL character",
            "pipe:../../etc/evil           | pipe name '../../etc/evil' must not contain '/' or '..'",
            "pipe:a/b                      | pipe name 'a/b' must not contain '/' or '..'",
            "shm:../x                      | the shared-memory name '../x' contains '/'",
            "unix:/tmp/<LONG>              | is 125 bytes long; the limit is 107 (sun_path)",
            "pipe:<LONG>                   | is 136 bytes long; the limit is 107 (sun_path)",
            "shm:<LONG>                    | is 120 bytes long; the limit is 64"})
    void badNamesAreRefusedBeforeAnythingIsMade(String endpoint, String reason) {
        String text = endpoint.replace("<NUL>", "\0").replace("<LONG>", LONG);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conduit.listen(text));
        assertTrue(e.getMessage().startsWith("endpoint '"), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertFalse(e.getMessage().contains("\0"), "the NUL is not printed raw: " + e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "fifo | fifo:/tmp/f<NUL>x",
            "log  | log:/tmp/l<NUL>x"})
    void oneWayEndpointsRefuseANulToo(String kind, String endpoint) {
        String text = endpoint.replace("<NUL>", "\0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conduit.openReceiver(text));
        assertTrue(e.getMessage().contains("contains a NUL character"), kind + ": " + e.getMessage());
    }

    @Test
    void aLinkPlantedWhereASocketAFifoOrALogWillBeIsNeverFollowed() throws Exception {
        try (TempDir dir = new TempDir()) {
            // What the links point at: a file that must not be touched, a directory that must not fill.
            Path victim = Files.writeString(dir.resolve("victim"), "precious");
            Path victimDir = Files.createDirectory(dir.resolve("victim-dir"));

            Path socket = Files.createSymbolicLink(dir.resolve("s.sock"), victim);
            IOException s = assertThrows(IOException.class, () -> Conduit.listen("unix:" + socket));
            assertTrue(s.getMessage().contains("is a symbolic link"), s.getMessage());

            Path fifo = Files.createSymbolicLink(dir.resolve("f.fifo"), victim);
            IOException f = assertThrows(IOException.class, () -> Conduit.openReceiver("fifo:" + fifo));
            assertTrue(f.getMessage().contains("symbolic link"), f.getMessage());

            Path log = Files.createSymbolicLink(dir.resolve("log"), victimDir);
            IOException l = assertThrows(IOException.class, () -> Conduit.openReceiver("log:" + log));
            assertTrue(l.getMessage().contains("is a symbolic link"), l.getMessage());

            assertEquals("precious", Files.readString(victim));
            try (var left = Files.list(victimDir)) {
                assertEquals(0, left.count(), "nothing was made through the link");
            }
            for (Path link : new Path[] {socket, fifo, log}) {
                assertTrue(Files.isSymbolicLink(link), link + " is still the link it was");
                assertTrue(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
            }
        }
    }
}
