package dev.conduit.internal.log;

import dev.conduit.internal.posix.Processes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the writer of a claimed, uncommitted record still lives. Its claim word gives its pid;
 * a version 2 segment's state word also gives a stamp of its start time (bit 31 set, then the
 * low 31 bits of field 22 of {@code /proc/PID/stat}, in clock ticks since boot), so a pid that a
 * later process reuses after the writer died is not taken for the writer. Stateless.
 */
final class Writers {
    private static final int STAMP_BIT = 0x80000000;

    private Writers() {
    }

    /**
     * @return the stamp of process {@code pid}: bit 31 and the low 31 bits of its start time;
     *         0 if it does not exist or its start time cannot be read
     */
    static int stamp(int pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        } catch (IOException e) {
            return 0;
        }
        // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        if (fields.length < 20) {
            return 0;
        }
        return STAMP_BIT | (int) (Long.parseUnsignedLong(fields[19]) & 0x7FFFFFFFL);
    }

    /**
     * @param pid   the pid of the claim word
     * @param state the record's state word: 0 if its writer did not stamp it (yet), or a stamp
     * @return whether the writer may still commit the record: its pid is a process and, if it
     *         stamped the record, one that started when the writer did
     */
    static boolean alive(int pid, int state) {
        if (!Processes.exists(pid)) {
            return false;
        }
        if (state == 0) {
            return true; // not stamped: the pid is all there is to go on
        }
        int now = stamp(pid);
        // Unreadable (/proc mounted with hidepid): the pid exists, so it may be the writer.
        return now == 0 || now == state;
    }
}
