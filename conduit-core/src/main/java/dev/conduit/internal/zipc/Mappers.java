package dev.conduit.internal.zipc;

import dev.conduit.internal.posix.Processes;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which other processes map a queue's object, read from {@code /proc/PID/maps}: ZIPC's layout
 * names no process, so this is how a receiver learns that its sender is gone, whether the sender
 * is Conduit or a C program linked with ZIPC. A mapping counts if it is of the object's inode at
 * {@code /dev/shm/NAME} (also once unlinked, "(deleted)"), and is not the caller's own.
 *
 * <p>The process found last is asked first; only when it maps the object no more are all of
 * {@code /proc}'s processes read. Processes whose maps this user may not read (other users',
 * without {@code CAP_SYS_PTRACE}) are not seen. One thread at a time.
 */
final class Mappers {
    private static final Path PROC = Path.of("/proc");
    private final String path;
    private final String inode;
    private final int self;
    private final String ownStart;
    private int known = -1;

    /**
     * @param name    the object's name, {@code /NAME}
     * @param inode   its inode
     * @param address where this process's own mapping, the one not to count, starts
     */
    Mappers(String name, long inode, long address) {
        this.path = "/dev/shm" + name;
        this.inode = Long.toString(inode);
        this.self = Processes.getpid();
        this.ownStart = Long.toHexString(address);
    }

    /** @return whether a process other than this mapping's maps the object now */
    boolean anyOther() {
        if (known >= 0 && maps(known)) {
            return true;
        }
        known = -1;
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()))) {
            for (Path process : processes) {
                int pid = Integer.parseInt(process.getFileName().toString());
                if (maps(pid)) {
                    known = pid;
                    return true;
                }
            }
        } catch (IOException e) {
            // No /proc to read: nobody can be seen.
        }
        return false;
    }

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** @return whether process {@code pid} maps the object (not counting this mapping) */
    private boolean maps(int pid) {
        try (BufferedReader lines = Files.newBufferedReader(PROC.resolve(Integer.toString(pid)).resolve("maps"))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.endsWith(path) || line.endsWith(path + " (deleted)")) {
                    // start-end perms offset dev inode path
                    String[] fields = line.split("\\s+", 6);
                    if (fields.length == 6 && fields[4].equals(inode)
                            && !(pid == self && fields[0].startsWith(ownStart + "-"))) {
                        return true;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // Gone, or not ours to read.
        }
        return false;
    }
}
