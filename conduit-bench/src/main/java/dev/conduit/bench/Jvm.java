package dev.conduit.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command lines of the child JVMs a measurement runs, with the same class path as this one.
 * Extra JVM options come from the environment variable {@code CONDUIT_BENCH_JVM_OPTS}.
 */
public final class Jvm {
    /** The system property that puts a child's Conduit sides on virtual threads ({@code --virtual-threads}). */
    static final String VIRTUAL = "conduit.bench.virtual";
    /**
     * The system property with the class path of the children, when this JVM's own does not have
     * the bench on it: the {@code conduit} command loads the bench from jars of its own and says
     * here where they are.
     */
    public static final String CLASS_PATH = "conduit.bench.classpath";

    /**
     * What Chronicle Queue needs on JDK 25 (its documented list for Java 17 and later): it
     * reaches JDK internals for mapped memory, cleaners and {@code sun.misc.Unsafe}. Its usage
     * analytics and start-up banner are turned off. Only the Chronicle JVMs get these flags.
     */
    private static final List<String> CHRONICLE = List.of(
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
            "-Dchronicle.analytics.disable=true",
            "-Dchronicle.announcer.disable=true");

    private Jvm() {
    }

    /**
     * @param pin       a {@code taskset} CPU list such as {@code 1}, or {@code -} for no pinning
     * @param transport the transport, for transport-specific JVM flags
     * @param options   more JVM options, such as {@code -Dconduit.bench.virtual=true}
     * @return the command up to and including the main class
     */
    static List<String> command(String pin, String transport, List<String> options) {
        List<String> command = new ArrayList<>();
        if (!pin.equals("-")) {
            command.addAll(List.of("taskset", "-c", pin));
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-XX:+UseParallelGC");
        command.add("-Xms256m");
        command.add("-Xmx256m");
        if (transport.equals("aeron")) {
            // Aeron and Agrona reach JDK internals; only the Aeron JVMs get these flags.
            command.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
            command.add("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
            command.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
            command.add("--sun-misc-unsafe-memory-access=allow");
            command.add("-Daeron.print.configuration=false");
        }
        if (transport.equals("chronicle")) {
            command.addAll(CHRONICLE);
        }
        command.addAll(options);
        String extra = System.getenv("CONDUIT_BENCH_JVM_OPTS");
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.strip().split("\\s+")));
        }
        command.add("-cp");
        command.add(System.getProperty(CLASS_PATH, System.getProperty("java.class.path")));
        command.add(BenchPeer.class.getName());
        return command;
    }
}
