package dev.conduit.internal.posix;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Users and groups: this process's user, and names to ids and back through the system's user
 * database ({@code getpwnam_r} and its kin, which may ask a directory service and so block for
 * as long as it takes). POSIX: the structures' first fields lie alike on glibc and macOS (LP64),
 * so this facility is not Linux's alone.
 */
public final class Users {
    private static final AddressLayout ADDRESS = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    // struct passwd and struct group: name, passwd, then the id.
    private static final long PW_NAME = 0;
    private static final long PW_UID = 16;
    private static final long PASSWD_BYTES = 64;
    private static final long GR_NAME = 0;
    private static final long GR_GID = 16;
    private static final long GROUP_BYTES = 48;
    private static final long LOOKUP_BUFFER_BYTES = 64 * 1024;

    private Users() {
    }

    /** Bound on the facility's first use. */
    private static final class Calls {
        static final FunctionDescriptor BY_NAME = FunctionDescriptor.of(INT, ADDRESS, ADDRESS, ADDRESS,
                ValueLayout.JAVA_LONG, ADDRESS);
        static final FunctionDescriptor BY_ID = FunctionDescriptor.of(INT, INT, ADDRESS, ADDRESS,
                ValueLayout.JAVA_LONG, ADDRESS);
        static final MethodHandle GETPWNAM_R = Native.bind("getpwnam_r", BY_NAME);
        static final MethodHandle GETPWUID_R = Native.bind("getpwuid_r", BY_ID);
        static final MethodHandle GETGRNAM_R = Native.bind("getgrnam_r", BY_NAME);
        static final MethodHandle GETGRGID_R = Native.bind("getgrgid_r", BY_ID);
        static final MethodHandle GETUID = Native.bind("getuid", FunctionDescriptor.of(INT));
    }

    /** @return the real user id of this process */
    public static int getuid() {
        try {
            return (int) Calls.GETUID.invokeExact();
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }

    /**
     * @param name a user name
     * @return the user's id, or empty if the system has no such user
     */
    public static OptionalInt uidOf(String name) {
        return idOf(Calls.GETPWNAM_R, name, PASSWD_BYTES, PW_UID);
    }

    /**
     * @param name a group name
     * @return the group's id, or empty if the system has no such group
     */
    public static OptionalInt gidOf(String name) {
        return idOf(Calls.GETGRNAM_R, name, GROUP_BYTES, GR_GID);
    }

    /**
     * @param uid a user id
     * @return the user's name, or empty if the id has no entry
     */
    public static Optional<String> userName(int uid) {
        return nameOf(Calls.GETPWUID_R, uid, PASSWD_BYTES, PW_NAME);
    }

    /**
     * @param gid a group id
     * @return the group's name, or empty if the id has no entry
     */
    public static Optional<String> groupName(int gid) {
        return nameOf(Calls.GETGRGID_R, gid, GROUP_BYTES, GR_NAME);
    }

    private static OptionalInt idOf(MethodHandle call, String name, long structBytes, long idOffset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment struct = arena.allocate(structBytes, 8);
            MemorySegment result = arena.allocate(ADDRESS);
            int rc = (int) call.invokeExact(arena.allocateFrom(name), struct,
                    arena.allocate(LOOKUP_BUFFER_BYTES), LOOKUP_BUFFER_BYTES, result);
            if (rc != 0 || result.get(ADDRESS, 0).equals(MemorySegment.NULL)) {
                return OptionalInt.empty();
            }
            return OptionalInt.of(struct.get(INT, idOffset));
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }

    private static Optional<String> nameOf(MethodHandle call, int id, long structBytes, long nameOffset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment struct = arena.allocate(structBytes, 8);
            MemorySegment result = arena.allocate(ADDRESS);
            int rc = (int) call.invokeExact(id, struct, arena.allocate(LOOKUP_BUFFER_BYTES), LOOKUP_BUFFER_BYTES,
                    result);
            if (rc != 0 || result.get(ADDRESS, 0).equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            return Optional.of(Native.string(struct.get(ADDRESS, nameOffset), LOOKUP_BUFFER_BYTES));
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }
}
