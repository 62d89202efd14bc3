package dev.conduit.internal.posix;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * System V message queues: {@code msgget}, {@code msgsnd}, {@code msgrcv}, {@code msgctl}.
 * Linux's on x86-64 and AArch64 (glibc): constants from {@code <sys/ipc.h>} and
 * {@code <sys/msg.h>}, and glibc's {@code struct msqid_ds}.
 */
public final class SysV {
    public static final int IPC_PRIVATE = 0;
    public static final int IPC_CREAT = 01000;
    public static final int IPC_EXCL = 02000;
    public static final int IPC_NOWAIT = 04000;
    public static final int IPC_RMID = 0;
    public static final int IPC_SET = 1;
    public static final int IPC_STAT = 2;
    /** {@code sizeof(struct msqid_ds)} on LP64 glibc. */
    public static final long MSQID_DS_BYTES = 120;
    /** Offset of {@code msg_perm.mode} (a 4-byte {@code mode_t} in glibc's struct). */
    public static final long MSQID_MODE = 20;
    /** Offset of {@code msg_perm.uid}. */
    public static final long MSQID_UID = 4;
    /** Offset of {@code __msg_cbytes}: bytes now in the queue. */
    public static final long MSQID_CBYTES = 72;
    /** Offset of {@code msg_qnum}: messages now in the queue. */
    public static final long MSQID_QNUM = 80;
    /** Offset of {@code msg_qbytes}: the most bytes the queue holds. */
    public static final long MSQID_QBYTES = 88;
    /** Offset of {@code msg_lspid}, the last sender's pid. */
    public static final long MSQID_LSPID = 96;
    /** Offset of {@code msg_lrpid}, the last receiver's pid. */
    public static final long MSQID_LRPID = 100;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    private SysV() {
    }

    /** Bound on the facility's first use. */
    private static final class Calls {
        static final MethodHandle MSGGET = Native.bindLinux("msgget", FunctionDescriptor.of(INT, INT, INT),
                Native.ERRNO);
        static final MethodHandle MSGSND = Native.bindLinux("msgsnd",
                FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS, LONG, INT), Native.ERRNO);
        static final MethodHandle MSGRCV = Native.bindLinux("msgrcv",
                FunctionDescriptor.of(LONG, INT, ValueLayout.ADDRESS, LONG, LONG, INT), Native.ERRNO);
        static final MethodHandle MSGCTL = Native.bindLinux("msgctl",
                FunctionDescriptor.of(INT, INT, INT, ValueLayout.ADDRESS), Native.ERRNO);
    }

    /** @return empty if System V queues work here as Conduit uses them, else why not */
    public static Optional<String> unavailability() {
        return Native.linuxOnly("System V message queues (glibc's msqid_ds)");
    }

    /**
     * {@code msgget(key, flags)}. Never blocks.
     *
     * @param key   the queue's key, or {@link #IPC_PRIVATE}
     * @param flags {@link #IPC_CREAT}, {@link #IPC_EXCL} and the permission bits
     * @return the queue's id
     * @throws ErrnoException with {@code errno} and its text
     */
    public static int msgget(int key, int flags) throws IOException {
        return (int) Errno.checked((arena, state) -> (int) Calls.MSGGET.invokeExact(state, key, flags),
                () -> "msgget(0x" + Integer.toHexString(key) + ", " + flagsText(flags) + ")");
    }

    /**
     * {@code msgctl(id, cmd, buf)} for {@link #IPC_STAT}, {@link #IPC_SET} and {@link #IPC_RMID}.
     *
     * @param buf a {@link #MSQID_DS_BYTES} segment, or {@link MemorySegment#NULL} for {@code IPC_RMID}
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void msgctl(int id, int cmd, MemorySegment buf) throws IOException {
        Errno.checked((arena, state) -> (int) Calls.MSGCTL.invokeExact(state, id, cmd, buf), () -> "msgctl(" + id
                + ", " + switch (cmd) {
                    case IPC_RMID -> "IPC_RMID";
                    case IPC_SET -> "IPC_SET";
                    case IPC_STAT -> "IPC_STAT";
                    default -> String.valueOf(cmd);
                } + ")");
    }

    /**
     * {@code msgsnd(id, message, size, flags)}: {@code message} holds the {@code long} type, then
     * {@code size} bytes. Blocks while the queue is full unless {@code flags} has
     * {@link #IPC_NOWAIT}; allocates nothing, so failures come back as numbers, not exceptions.
     *
     * @param state from {@link Errno#allocateState}, the calling thread's alone during the call
     * @return 0, or the {@code errno} of the failure ({@link Errno#EAGAIN} when full and not
     *         waiting, {@link Errno#EINTR}, {@link Errno#EIDRM}, ...)
     */
    public static int msgsnd(MemorySegment state, int id, MemorySegment message, long size, int flags) {
        try {
            int rc = (int) Calls.MSGSND.invokeExact(state, id, message, size, flags);
            return rc == -1 ? Errno.value(state) : 0;
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }

    /**
     * {@code msgrcv(id, buffer, maxSize, type, flags)}: the kernel writes the message's
     * {@code long} type, then its bytes. Blocks until a message matches unless {@code flags} has
     * {@link #IPC_NOWAIT}; allocates nothing.
     *
     * @param state as {@link #msgsnd}
     * @return the message's length, or minus the {@code errno} of the failure
     *         ({@link Errno#ENOMSG} when none matches and not waiting, {@link Errno#E2BIG} when
     *         the first match is longer than {@code maxSize}, {@link Errno#EINTR},
     *         {@link Errno#EIDRM}, ...)
     */
    public static long msgrcv(MemorySegment state, int id, MemorySegment buffer, long maxSize, long type, int flags) {
        try {
            long rc = (long) Calls.MSGRCV.invokeExact(state, id, buffer, maxSize, type, flags);
            return rc == -1 ? -Errno.value(state) : rc;
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }

    private static String flagsText(int flags) {
        StringBuilder sb = new StringBuilder();
        if ((flags & IPC_CREAT) != 0) {
            sb.append("IPC_CREAT|");
        }
        if ((flags & IPC_EXCL) != 0) {
            sb.append("IPC_EXCL|");
        }
        return sb.append('0').append(Integer.toOctalString(flags & 0777)).toString();
    }
}
