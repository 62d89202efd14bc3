package dev.conduit.websocket;

import dev.conduit.FaultContract;
import dev.conduit.testing.TempDir;

/** {@link FaultContract} over {@code ws://}: killed, vanished and stalled peers across processes. */
class WebSocketFaultTest extends FaultContract {
    @Override
    protected String endpoint(TempDir dir) {
        return "ws://127.0.0.1:0/fault";
    }
}
