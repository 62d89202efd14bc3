package dev.conduit.websocket;

import dev.conduit.SubjectContract;

/** The session protocol, subjects included ({@link SubjectContract}), over {@code ws://}. */
class WebSocketSessionTest extends SubjectContract {
    @Override
    protected String endpoint(String options) {
        return "ws://127.0.0.1:0/session?" + options;
    }
}
