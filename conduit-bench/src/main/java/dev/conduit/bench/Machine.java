package dev.conduit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * The machine a run measured, as every table and JSON file states it.
 *
 * @param cpu    the processor model
 * @param cpus   logical CPUs available
 * @param os     operating system and kernel
 * @param jdk    the JDK running the benchmarks
 * @param date   when the run started (ISO-8601)
 * @param pinned whether the two processes were pinned to their own CPUs
 */
public record Machine(String cpu, int cpus, String os, String jdk, String date, boolean pinned) {
    /** @return this machine, now */
    public static Machine describe(boolean pinned) {
        return new Machine(cpuModel().orElse(System.getProperty("os.arch")), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("java.vm.vendor") + " " + Runtime.version(),
                ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), pinned);
    }

    private static Optional<String> cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** @return one line for the head of a table */
    public String summary() {
        return cpu + ", " + cpus + " CPUs, " + os + ", " + jdk + ", " + date
                + (pinned ? ", each process pinned to its own CPU (stdio's child too, which its client spawns: on"
                        + " the CPU other than its client's, checked)" : ", processes not pinned");
    }
}
