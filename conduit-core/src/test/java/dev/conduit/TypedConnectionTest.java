package dev.conduit;

import dev.conduit.testing.MemPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class TypedConnectionTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> open = new ArrayList<>();

    /** The example of docs/typed.md: a record as fixed fields, then UTF-8. */
    record Order(long id, int quantity, String item) {
    }

    /** The example codec of docs/typed.md. */
    static final class OrderCodec implements Codec<Order> {
        @Override
        public byte[] encode(Order order) {
            byte[] item = order.item().getBytes(StandardCharsets.UTF_8);
            return ByteBuffer.allocate(8 + 4 + item.length).putLong(order.id()).putInt(order.quantity())
                    .put(item).array();
        }

        @Override
        public Order decode(ByteBuffer message) throws CodecException {
            if (message.remaining() < 12) {
                throw new CodecException("an order has at least 12 bytes, this message " + message.remaining());
            }
            ByteBuffer in = message.duplicate();
            long id = in.getLong();
            int quantity = in.getInt();
            String item = Codec.utf8().decode(in);
            return new Order(id, quantity, item);
        }

        @Override
        public String description() {
            return "Order";
        }
    }

    private Connection[] pair() throws IOException {
        return MemPair.open("typed", open);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    @Test
    void carriesTextEveryWayTheConnectionDoes() throws Exception {
        Connection[] p = pair();
        TypedConnection<String> out = p[0].typed(Codec.utf8());
        TypedConnection<String> in = p[1].typed(Codec.utf8());
        out.send("héllo ✓");
        out.write("two");
        out.write("three");
        out.flush();
        assertTrue(out.trySend("four"));
        assertEquals("héllo ✓", in.receive());
        assertEquals("two", in.receive(WAIT));
        List<String> got = new ArrayList<>();
        while (got.size() < 2) {
            in.poll(got::add, 2, WAIT);
        }
        assertEquals(List.of("three", "four"), got);
        assertNull(in.tryReceive());
        assertNull(in.receive(Duration.ofMillis(20)));
        assertEquals(p[1].endpoint(), in.endpoint());
    }

    @Test
    void carriesARecordWithTheDocumentedCodec() throws Exception {
        Connection[] p = pair();
        TypedConnection<Order> out = p[0].typed(new OrderCodec());
        TypedConnection<Order> in = p[1].typed(new OrderCodec());
        Order order = new Order(42, 3, "tea ☕");
        out.send(order);
        assertEquals(order, in.receive());
        p[0].send(new byte[5]);
        CodecException e = assertThrows(CodecException.class, in::receive);
        assertEquals(p[1].endpoint() + ": receive: cannot decode a message of 5 bytes as Order: an order has at"
                + " least 12 bytes, this message 5", e.getMessage());
    }

    @Test
    void aMessageThatDoesNotDecodeIsConsumedAndTheConnectionGoesOn() throws Exception {
        Connection[] p = pair();
        TypedConnection<String> in = p[1].typed(Codec.utf8());
        p[0].send(new byte[] {'o', 'k', (byte) 0xC3});
        p[0].send("next");
        CodecException e = assertThrows(CodecException.class, () -> in.receive(WAIT));
        assertEquals(p[1].endpoint() + ": receive: cannot decode a message of 3 bytes as UTF-8 text: not UTF-8: bad"
                + " byte sequence at offset 2", e.getMessage());
        assertEquals("next", in.receive(WAIT));
        assertTrue(in.isOpen());

        p[0].send("before");
        p[0].send(new byte[] {(byte) 0xFF});
        p[0].send("after");
        List<String> got = new ArrayList<>();
        CodecException polled = assertThrows(CodecException.class, () -> {
            while (true) {
                in.poll(got::add, 10, WAIT);
            }
        });
        assertTrue(polled.getMessage().startsWith(p[1].endpoint() + ": poll: cannot decode a message of 1 bytes"),
                polled.getMessage());
        assertEquals(List.of("before"), got);
        assertEquals("after", in.receive(WAIT));
    }

    @Test
    void onMessageHandsOverValuesAndReportsABadOne() throws Exception {
        Connection[] p = pair();
        TypedConnection<String> in = p[1].typed(Codec.utf8());
        List<String> got = new ArrayList<>();
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        Thread loop = in.onMessage(value -> {
            synchronized (got) {
                got.add(value);
            }
        }, error::complete);
        p[0].send("a");
        p[0].send("b");
        p[0].send(new byte[] {(byte) 0x80});
        Throwable t = error.get(10, TimeUnit.SECONDS);
        assertInstanceOf(CodecException.class, t);
        assertTrue(t.getMessage().contains(": onMessage: cannot decode a message of 1 bytes as UTF-8 text"),
                t.getMessage());
        assertTrue(loop.join(WAIT));
        assertEquals(List.of("a", "b"), got);
    }

    @Test
    void bytesCodecCopiesOutOfTheView() throws Exception {
        Connection[] p = pair();
        TypedConnection<byte[]> in = p[1].typed(Codec.bytes());
        p[0].send(new byte[] {1, 2, 3});
        byte[][] kept = new byte[1][];
        while (in.poll(value -> kept[0] = value, 1, WAIT) == 0) {
            // Waits for the message.
        }
        assertArrayEquals(new byte[] {1, 2, 3}, kept[0]);
    }
}
