package dev.conduit.internal.unix;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/** Checks on socket paths against the kernel's {@code sun_path} limit. */
public final class UnixPaths {
    /** {@code sun_path} holds 108 bytes on Linux, one of them the terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;

    private UnixPaths() {
    }

    /** @return whether the path is too long to bind or connect to */
    static boolean tooLong(String path) {
        return path.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES;
    }

    /**
     * @param endpoint the endpoint text, for the message
     * @param path     the socket path
     * @throws IllegalArgumentException if the path is longer than the kernel accepts
     */
    public static void checkLength(String endpoint, String path) {
        int bytes = path.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': socket path " + path + " is " + bytes
                    + " bytes long; the limit is " + MAX_PATH_BYTES + " (sun_path)");
        }
    }

    /**
     * @param endpoint the endpoint text, for the message
     * @param fileName a socket's name
     * @return the socket's path in {@code $TMPDIR}, or in {@code /tmp} if that is unset or empty
     * @throws IllegalArgumentException if the path is longer than the kernel accepts
     */
    public static Path inTemporaryDirectory(String endpoint, String fileName) {
        String tmp = Objects.requireNonNullElse(System.getenv("TMPDIR"), "");
        Path path = Path.of(tmp.isEmpty() ? "/tmp" : tmp, fileName);
        checkLength(endpoint, path.toString());
        return path;
    }

    /** @return an octal mode as {@code rwx------} text */
    public static String modeString(int mode) {
        StringBuilder sb = new StringBuilder(9);
        for (int shift = 6; shift >= 0; shift -= 3) {
            int bits = (mode >> shift) & 7;
            sb.append((bits & 4) != 0 ? 'r' : '-')
                    .append((bits & 2) != 0 ? 'w' : '-')
                    .append((bits & 1) != 0 ? 'x' : '-');
        }
        return sb.toString();
    }
}
