package dev.conduit.internal.log;

import dev.conduit.Conduit;
import dev.conduit.MessageSender;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;

/** A child JVM that appends stamped messages to a log until it is killed. */
public final class LogWriterChild {
    private LogWriterChild() {
    }

    /**
     * @param args the endpoint; then optionally the first message's number, how many to send
     *             (without them: from 0, until killed), and a directory: once the sender is open,
     *             the child makes the file {@code ready-FIRST} there, and starts sending when the
     *             file {@code go} appears, so that several children send at once
     */
    public static void main(String[] args) throws Exception {
        int first = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        long count = args.length > 2 ? Long.parseLong(args[2]) : Long.MAX_VALUE;
        try (MessageSender sender = Conduit.openSender(args[0])) {
            if (args.length > 3) {
                Path dir = Path.of(args[3]);
                Files.createFile(dir.resolve("ready-" + first));
                while (!Files.exists(dir.resolve("go"))) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
            }
            for (long i = 0; i < count; i++) {
                sender.send(stamped(first + (int) i));
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
