package dev.conduit.internal.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The one place Conduit calls the JDK's restricted methods: it finds C functions and makes
 * method handles for them, and turns native addresses into segments. The OS facilities of this
 * package ({@link Errno}, {@link Users}, {@link Processes}, {@link Shm}, {@link Futex},
 * {@link Membarrier}, {@link PosixFiles}, {@link Fifos}, {@link SysV}, {@link Signals},
 * {@link Semaphores}, {@link Clocks}) bind their functions through it, each on its own first use.
 *
 * <p>Binding never fails: a function this C library lacks is bound to a handle that throws
 * {@link UnsatisfiedLinkError} naming it when called, so a missing function costs only the
 * facility that needs it, and only if it is used. Each facility says beforehand whether it is
 * usable here ({@code unavailability()}), and the transports ask before they open.
 *
 * <p>Most facilities are Linux's (the constants, structure layouts and system-call numbers are
 * Linux's on x86-64 and AArch64): they bind with {@link #bindLinux}, which binds nothing
 * elsewhere. {@link #pretendNotLinux()} lets a test see Conduit as it is on another OS.
 */
@SuppressWarnings("restricted") // This class is the one place allowed to call restricted methods.
public final class Native {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final String OS = System.getProperty("os.name", "") + " on " + System.getProperty("os.arch", "");
    private static final boolean REALLY_LINUX = System.getProperty("os.name", "").startsWith("Linux")
            && switch (System.getProperty("os.arch", "")) {
                case "amd64", "x86_64", "aarch64" -> true;
                default -> false;
            };
    /** {@code errno}, captured right after a call, before the JVM can change it. */
    static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    private static volatile boolean pretendNotLinux;
    private static volatile String firstLinuxBinding;

    private Native() {
    }

    /**
     * Makes this JVM's Conduit behave as on an OS that is not Linux: every Linux-only facility
     * reports itself unavailable and binds no function. For tests only, which call it before
     * anything in Conduit touches the OS: a JVM cannot go back.
     *
     * @throws IllegalStateException if a Linux-only function has been bound already
     */
    public static void pretendNotLinux() {
        String bound = firstLinuxBinding;
        if (bound != null) {
            throw new IllegalStateException("pretendNotLinux: too late, " + bound + " is bound already");
        }
        pretendNotLinux = true;
    }

    /** @return whether this is Linux on x86-64 or AArch64, the system Conduit's Linux facilities are for */
    public static boolean isLinux() {
        return REALLY_LINUX && !pretendNotLinux;
    }

    /**
     * @param what what needs Linux, e.g. {@code "shared memory (shm_open, futex)"}
     * @return empty on Linux on x86-64 or AArch64, else a sentence saying that {@code what}
     *         needs it and what this system is
     */
    public static Optional<String> linuxOnly(String what) {
        if (isLinux()) {
            return Optional.empty();
        }
        return Optional.of(what + " needs Linux on x86-64 or AArch64; this is "
                + (pretendNotLinux ? "a test pretending not to be Linux" : OS));
    }

    /**
     * @param names C functions
     * @return empty if the C library has all of them, else a sentence naming those it lacks
     */
    static Optional<String> missing(String... names) {
        String[] absent = Arrays.stream(names).filter(n -> LOOKUP.find(n).isEmpty()).toArray(String[]::new);
        return absent.length == 0 ? Optional.empty()
                : Optional.of("this C library has no " + String.join(", ", absent));
    }

    /**
     * Binds a function that POSIX systems share. Never throws.
     *
     * @return a handle calling it, or one throwing {@link UnsatisfiedLinkError} if there is none
     */
    static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LOOKUP.find(name)
                .map(symbol -> LINKER.downcallHandle(symbol, descriptor, options))
                .orElseGet(() -> absent(name, "this C library has no " + name, descriptor, options));
    }

    /**
     * Binds a function used with Linux's constants or layouts: on another system, or when a test
     * pretends so, the handle throws instead. Never throws.
     */
    static MethodHandle bindLinux(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        if (!isLinux()) {
            return absent(name, linuxOnly(name).orElseThrow(), descriptor, options);
        }
        if (firstLinuxBinding == null) {
            firstLinuxBinding = name;
        }
        return bind(name, descriptor, options);
    }

    /** @return a handle of the downcall's type that throws {@link UnsatisfiedLinkError} with {@code why} */
    private static MethodHandle absent(String name, String why, FunctionDescriptor descriptor,
            Linker.Option... options) {
        MethodType type = descriptor.toMethodType();
        if (Arrays.asList(options).contains(ERRNO)) {
            type = type.insertParameterTypes(0, MemorySegment.class);
        }
        MethodHandle thrower = MethodHandles.throwException(type.returnType(), UnsatisfiedLinkError.class)
                .bindTo(new UnsatisfiedLinkError(name + ": " + why));
        return MethodHandles.dropArguments(thrower, 0, type.parameterList());
    }

    /**
     * @param address a native address a C function returned
     * @return the {@code size} bytes there, as a segment of {@code arena} that runs
     *         {@code cleanup} when the arena closes
     */
    static MemorySegment segment(long address, long size, Arena arena, Consumer<MemorySegment> cleanup) {
        return MemorySegment.ofAddress(address).reinterpret(size, arena, cleanup);
    }

    /** @return the NUL-terminated text at {@code pointer}, read up to {@code max} bytes */
    static String string(MemorySegment pointer, long max) {
        return pointer.reinterpret(max).getString(0);
    }
}
