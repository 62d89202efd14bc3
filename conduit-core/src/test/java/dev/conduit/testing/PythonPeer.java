package dev.conduit.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a Python peer from {@code interop/python} for the interop tests. */
public final class PythonPeer {
    private PythonPeer() {
    }

    /**
     * @param python  the interpreter, e.g. {@code python3} (or {@code /usr/bin/python3} for
     *                Debian's packages)
     * @param script  a file name in {@code interop/python}
     * @param args    its arguments
     * @return the running process, its standard error passed through; kill it with
     *         {@link ChildJvm#kill}
     * @throws IOException naming what is missing if the script or the interpreter is not there
     */
    public static Process start(String python, String script, String... args) throws IOException {
        Path peer = Path.of(System.getProperty("user.dir")).resolveSibling("interop").resolve("python").resolve(script);
        if (!Files.isRegularFile(peer)) {
            throw new IOException("missing " + peer);
        }
        List<String> command = new ArrayList<>(List.of(python, peer.toString()));
        command.addAll(List.of(args));
        try {
            return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new IOException(python + " is needed for this test (.ci/run installs it): " + e.getMessage(), e);
        }
    }
}
