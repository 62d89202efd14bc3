package dev.conduit.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts Java programs from the test class path in a child JVM, the way a user's second
 * process would run, and makes sure none outlives its test.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** @return the command that runs {@code mainClass} with {@code args} in a fresh JVM */
    public static List<String> command(Class<?> mainClass, String... args) {
        return command(List.of(), mainClass, args);
    }

    /** @return the command that runs {@code mainClass} with {@code args} in a fresh JVM with {@code jvmOptions} */
    public static List<String> command(List<String> jvmOptions, Class<?> mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-Xshare:auto");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return command;
    }

    /** @return a builder for {@link #command}, with standard error passed through */
    public static ProcessBuilder builder(Class<?> mainClass, String... args) {
        return builder(List.of(), mainClass, args);
    }

    /** @return a builder for {@link #command(List, Class, String...)}, with standard error passed through */
    public static ProcessBuilder builder(List<String> jvmOptions, Class<?> mainClass, String... args) {
        return new ProcessBuilder(command(jvmOptions, mainClass, args)).redirectError(ProcessBuilder.Redirect.INHERIT);
    }

    /** @return a started child running {@code mainClass}, its output passed through */
    public static Process start(Class<?> mainClass, String... args) throws IOException {
        return builder(mainClass, args).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Kills the process (SIGKILL) and waits for it to be gone; null is fine. */
    public static void kill(Process process) {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
