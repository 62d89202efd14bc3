package dev.conduit.internal.session;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One session's subjects ({@link Subjects}): what the peer subscribed to and whether it knows
 * subjects, which {@link Inbound}'s reader learns, and what this side subscribed to, which its
 * {@code subscribe} sets. Any thread.
 */
final class SubjectState {
    /** Sends a SUBSCRIBE frame. */
    @FunctionalInterface
    interface Send {
        void send() throws IOException;
    }

    /** The peer's last SUBSCRIBE, as UTF-8 prefixes; null while it sent none (it wants everything). */
    private volatile byte[][] peerPrefixes;
    /** The features the peer answered the probe with, or -1 while unknown. */
    private volatile int peerFeatures = -1;
    /** This side's prefixes, null for no subscription: a PUBLISH they do not match is not handed out. */
    private volatile byte[][] mine;
    private final ReentrantLock subscribing = new ReentrantLock();
    private final AtomicBoolean probed = new AtomicBoolean();

    /**
     * Takes the peer's SUBSCRIBE: from now on a publish on this side sends only what it matches.
     *
     * @throws IllegalArgumentException saying what is wrong with the frame
     */
    void peerSubscribed(byte[] frame) {
        peerPrefixes = Subjects.prefixes(frame);
    }

    /** @return whether {@code nonce}, a PONG's, is the peer's first answer to a features probe */
    boolean answered(long nonce) {
        if (!Subjects.isFeatures(nonce) || peerFeatures >= 0) {
            return false;
        }
        peerFeatures = Subjects.features(nonce);
        return true;
    }

    /** @return whether the peer has told whether it knows subjects: it answered the probe, or subscribed */
    boolean peerSaid() {
        return peerFeatures >= 0 || peerPrefixes != null;
    }

    /** @return whether the peer knows subjects, once {@link #peerSaid()} */
    boolean peerKnows() {
        return peerPrefixes != null || (peerFeatures & Subjects.SUBJECTS) != 0;
    }

    /** @return whether the peer's subscription matches {@code subject}, UTF-8; true if it has none */
    boolean peerWants(byte[] subject) {
        return Subjects.matches(peerPrefixes, subject, 0, subject.length);
    }

    /** @return whether this side's subscription matches the PUBLISH {@code frame}'s subject */
    boolean takes(byte[] frame) {
        return Subjects.matches(mine, frame);
    }

    /** @return true for the one caller that is to send the probe, until {@link #probeFailed()} */
    boolean startProbe() {
        return probed.compareAndSet(false, true);
    }

    void probeFailed() {
        probed.set(false);
    }

    /** Makes {@code set} this side's subscription and sends its frame, one subscriber at a time. */
    void subscribe(byte[][] set, Send send) throws IOException {
        subscribing.lock();
        try {
            mine = set;
            send.send();
        } finally {
            subscribing.unlock();
        }
    }
}
