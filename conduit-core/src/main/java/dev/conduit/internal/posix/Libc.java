package dev.conduit.internal.posix;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The one binding layer to the C library, through {@code java.lang.foreign}. Every native call
 * Conduit makes is declared here.
 */
@SuppressWarnings("restricted") // This class is the one place allowed to call native code.
public final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final AddressLayout ADDRESS = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong SIZE_T = ValueLayout.JAVA_LONG;

    // struct passwd and struct group on glibc and macOS, LP64: name, passwd, then the id.
    private static final long PW_NAME = 0;
    private static final long PW_UID = 16;
    private static final long PASSWD_BYTES = 64;
    private static final long GR_NAME = 0;
    private static final long GR_GID = 16;
    private static final long GROUP_BYTES = 48;
    private static final long LOOKUP_BUFFER_BYTES = 64 * 1024;

    private static final FunctionDescriptor BY_NAME =
            FunctionDescriptor.of(INT, ADDRESS, ADDRESS, ADDRESS, SIZE_T, ADDRESS);
    private static final FunctionDescriptor BY_ID =
            FunctionDescriptor.of(INT, INT, ADDRESS, ADDRESS, SIZE_T, ADDRESS);
    private static final MethodHandle GETPWNAM_R = downcall("getpwnam_r", BY_NAME);
    private static final MethodHandle GETPWUID_R = downcall("getpwuid_r", BY_ID);
    private static final MethodHandle GETGRNAM_R = downcall("getgrnam_r", BY_NAME);
    private static final MethodHandle GETGRGID_R = downcall("getgrgid_r", BY_ID);
    private static final MethodHandle GETUID = downcall("getuid", FunctionDescriptor.of(INT));

    private Libc() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LOOKUP.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor);
    }

    /** @return the real user id of this process */
    public static int getuid() {
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param name a user name
     * @return the user's id, or empty if the system has no such user
     */
    public static OptionalInt uidOf(String name) {
        return idOf(GETPWNAM_R, name, PASSWD_BYTES, PW_UID);
    }

    /**
     * @param name a group name
     * @return the group's id, or empty if the system has no such group
     */
    public static OptionalInt gidOf(String name) {
        return idOf(GETGRNAM_R, name, GROUP_BYTES, GR_GID);
    }

    /**
     * @param uid a user id
     * @return the user's name, or empty if the id has no entry
     */
    public static Optional<String> userName(int uid) {
        return nameOf(GETPWUID_R, uid, PASSWD_BYTES, PW_NAME);
    }

    /**
     * @param gid a group id
     * @return the group's name, or empty if the id has no entry
     */
    public static Optional<String> groupName(int gid) {
        return nameOf(GETGRGID_R, gid, GROUP_BYTES, GR_NAME);
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
            throw rethrow(t);
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
            MemorySegment name = struct.get(ADDRESS, nameOffset).reinterpret(Long.MAX_VALUE);
            return Optional.of(name.getString(0));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
