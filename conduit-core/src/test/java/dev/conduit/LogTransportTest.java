package dev.conduit;

import dev.conduit.testing.TempDir;

import java.io.IOException;

/**
 * {@code log:} against the one-way contract: a sender and a receiver from the start of a fresh
 * log. The default 64 MiB segment holds the steady-state test's 45 MB without a rollover (which
 * maps a new file, and so allocates). A log outlives its senders and never fills up.
 */
class LogTransportTest extends OneWayContract {
    private static final int MAX_FRAME = 1 << 20;

    @Override
    protected Ends ends() throws Exception {
        return endsOn(freshEndpoint());
    }

    @Override
    protected String freshEndpoint() throws IOException {
        TempDir dir = track(new TempDir());
        return "log:" + dir.resolve("log") + "?maxFrame=" + MAX_FRAME;
    }

    @Override
    protected MessageReceiver openReceiver(String endpoint) throws IOException {
        return Conduit.openReceiver(endpoint + "&from=start");
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
