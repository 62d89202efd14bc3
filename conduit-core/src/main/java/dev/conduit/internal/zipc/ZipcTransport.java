package dev.conduit.internal.zipc;

import dev.conduit.Endpoint;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.TransportUnavailableException;
import dev.conduit.internal.OneWayTransport;
import dev.conduit.internal.Options;
import dev.conduit.internal.posix.Shm;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;

/**
 * {@code zipc:/NAME?slots=Q&slotSize=M}: one-way messages through ZIPC's shared-memory queue at
 * {@code /dev/shm/NAME}, byte for byte as ZIPC lays it out ({@link ZipcQueue}), so a program
 * linked with ZIPC (or written from its C API) is the other end. Q slots of M bytes hold Q - 1
 * messages of up to M bytes each; the defaults are ZIPC's build defaults, 64 slots of 1536 bytes.
 *
 * <p>Both ends open the object as ZIPC does ({@code O_CREAT|O_RDWR}, mode {@code ?mode=}, 0600 by
 * default) and size it if it is new; an object of another size is an error naming both layouts.
 * Either end may come first. The sender initialises the queue (ZIPC's init flag) if no sender
 * has. An end that closes removes the object if no other process maps it; a sender leaves it if
 * messages in it wait to be read.
 */
public final class ZipcTransport implements OneWayTransport {
    /** The number of slots, Q: the queue holds Q - 1 messages. */
    public static final String SLOTS = "slots";
    /** The bytes in a slot, M: the longest message. */
    public static final String SLOT_SIZE = "slotSize";
    /** Permission bits of an object this end makes, octal. */
    public static final String MODE = "mode";
    /** ZIPC's build default ({@code build.zig}). */
    static final int DEFAULT_SLOTS = 64;
    /** ZIPC's build default ({@code build.zig}). */
    static final int DEFAULT_SLOT_SIZE = 1536;

    @Override
    public Set<String> schemes() {
        return Set.of("zipc");
    }

    @Override
    public Set<String> optionNames() {
        return Set.of(SLOTS, SLOT_SIZE, MODE, Options.SPIN);
    }

    /** {@inheritDoc} Never blocks: the sender may come later. */
    @Override
    public MessageReceiver openReceiver(Endpoint endpoint) throws IOException {
        ZipcQueue queue = open(endpoint, "openReceiver");
        try {
            return new ZipcReceiver(endpoint, queue, Options.spinNanos(endpoint));
        } catch (RuntimeException e) {
            queue.unmap();
            throw e;
        }
    }

    /** {@inheritDoc} Never blocks: the receiver may come later, and messages wait for it. */
    @Override
    public MessageSender openSender(Endpoint endpoint, Duration timeout) throws IOException {
        ZipcQueue queue = open(endpoint, "openSender");
        try {
            return new ZipcSender(endpoint, queue, Options.spinNanos(endpoint));
        } catch (RuntimeException e) {
            queue.unmap();
            throw e;
        }
    }

    /**
     * @param address what follows {@code zipc:}
     * @return what is wrong with it as a ZIPC name ({@code /NAME}, at most 39 bytes, no other
     *         {@code /}), or {@code null} if nothing is
     */
    public static String addressProblem(String address) {
        return ZipcQueue.problem(address);
    }

    private static ZipcQueue open(Endpoint endpoint, String call) throws IOException {
        int slots = (int) Options.size(endpoint, SLOTS, DEFAULT_SLOTS, 2, ZipcQueue.MAX_SLOTS);
        int slotSize = (int) Options.size(endpoint, SLOT_SIZE, DEFAULT_SLOT_SIZE, 1, ZipcQueue.MAX_SLOT_BYTES);
        if ((long) slots * slotSize > ZipcQueue.MAX_SLOT_BYTES) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': slots=" + slots + " of slotSize="
                    + slotSize + " make " + (long) slots * slotSize + " bytes (expected at most "
                    + ZipcQueue.MAX_SLOT_BYTES + ")");
        }
        int mode = Options.mode(endpoint, MODE, 0600);
        String unsupported = Shm.unavailability().orElse(null);
        if (unsupported != null) {
            throw new TransportUnavailableException(endpoint + ": " + call + ": " + unsupported);
        }
        return ZipcQueue.open(endpoint + ": " + call, endpoint.address(), slots, slotSize, mode);
    }
}
