package dev.conduit.internal.log;

import dev.conduit.Conduit;
import dev.conduit.MessageSender;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/** A child JVM that appends stamped messages to a log until it is killed. */
public final class LogWriterChild {
    private LogWriterChild() {
    }

    /** @param args the endpoint */
    public static void main(String[] args) throws Exception {
        try (MessageSender sender = Conduit.openSender(args[0])) {
            for (int seq = 0; ; seq++) {
                sender.send(stamped(seq));
            }
        }
    }

    /** @return message {@code seq}: its number, a CRC-32 of the rest, then 8 to 3000 varied bytes */
    static byte[] stamped(int seq) {
        int size = 8 + (seq * 131) % 2993;
        ByteBuffer b = ByteBuffer.allocate(12 + size);
        b.putInt(seq).putLong(0);
        for (int i = 0; i < size; i++) {
            b.put((byte) (seq * 31 + i));
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 12, size);
        b.putLong(4, crc.getValue());
        return b.array();
    }

    /** @return the number of a whole stamped message; fails if it is not whole */
    static int check(byte[] message) {
        ByteBuffer b = ByteBuffer.wrap(message);
        int seq = b.getInt();
        long crc = b.getLong();
        CRC32 check = new CRC32();
        check.update(message, 12, message.length - 12);
        if (check.getValue() != crc || message.length != stamped(seq).length) {
            throw new AssertionError("message " + seq + " is not whole (" + message.length + " bytes)");
        }
        return seq;
    }
}
