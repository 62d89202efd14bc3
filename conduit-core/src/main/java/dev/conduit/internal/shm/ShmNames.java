package dev.conduit.internal.shm;

import dev.conduit.internal.posix.Shm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;

/** The rules for names in {@code /dev/shm}, shared by {@code shm:} endpoints and {@code SharedMemory}. */
public final class ShmNames {
    /** The objects the {@code shm:} transport makes for its rings: {@code conduit-PID-N-HEX}. */
    static final Pattern RING = Pattern.compile("conduit-([0-9]+)-[0-9]+-[0-9a-f]+");

    private ShmNames() {
    }

    /**
     * @param name     a name without the leading slash
     * @param maxBytes the longest it may be, in UTF-8 bytes
     * @return what is wrong with it ("contains '/'", ...), or empty if nothing is
     */
    public static Optional<String> problem(String name, int maxBytes) {
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        return Optional.ofNullable(name.isEmpty() ? "is empty"
                : name.indexOf('/') >= 0 ? "contains '/'"
                : name.indexOf('\0') >= 0 ? "contains a NUL character"
                : name.equals(".") || name.contains("..") ? "contains '..' or is '.'"
                : bytes > maxBytes ? "is " + bytes + " bytes long; the limit is " + maxBytes
                : null);
    }

    /** @return whether {@code name} (without the slash) has the form of a ring object, which listeners clean up */
    public static boolean isRing(String name) {
        return RING.matcher(name).matches();
    }

    /** Unlinks {@code /name}, ignoring a name that is already gone. */
    public static void unlinkQuietly(String name) {
        try {
            Shm.unlink("/" + name);
        } catch (IOException e) {
            // Already gone, which is what was wanted.
        }
    }
}
