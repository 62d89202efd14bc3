package dev.conduit;

import dev.conduit.testing.TempDir;

/**
 * {@code log:} against the one-way contract: a sender and a receiver from the start of a fresh
 * log, with segments large enough that the steady-state test never rolls over (a rollover maps
 * a new file, which allocates). A log outlives its senders and never fills up.
 */
class LogTransportTest extends OneWayContract {
    private static final int MAX_FRAME = 1 << 20;

    @Override
    protected Ends ends() throws Exception {
        TempDir dir = track(new TempDir());
        String endpoint = "log:" + dir.resolve("log") + "?maxFrame=" + MAX_FRAME + "&segmentSize=256m";
        MessageReceiver receiver = Conduit.openReceiver(endpoint + "&from=start");
        MessageSender sender = Conduit.openSender(endpoint);
        return new Ends(sender, receiver);
    }

    @Override
    protected int maxFrame() {
        return MAX_FRAME;
    }

    @Override
    protected boolean senderCloseEndsTheStream() {
        return false;
    }

    @Override
    protected boolean fullReceiverBlocksSend() {
        return false;
    }

    @Override
    protected boolean allocatesNothingPerMessage() {
        return true;
    }
}
