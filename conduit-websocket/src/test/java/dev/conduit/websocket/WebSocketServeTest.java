package dev.conduit.websocket;

import dev.conduit.ServeContract;

/** {@link ServeContract} over {@code ws://}: the WebSocket listener served like any other. */
class WebSocketServeTest extends ServeContract {
    @Override
    protected String endpoint() {
        return "ws://127.0.0.1:0/serve";
    }
}
