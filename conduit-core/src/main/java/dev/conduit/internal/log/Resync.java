package dev.conduit.internal.log;

import java.util.zip.CRC32C;

/**
 * Finding a record boundary again where the chain of claim lengths cannot be followed: past a
 * crash hole (an unclaimed word below the tail hint) or past damage. Both try each multiple of
 * 8 after the bad place. A record found by chance in payload bytes is taken only if it checks
 * out as a real one would (its CRC-32C matches, or its chain of records ends exactly at the tail
 * hint), so a payload that itself holds a well-formed, checksummed record is the one thing that
 * can mislead it. Stateless.
 */
final class Resync {
    private Resync() {
    }

    /** @return the first offset from {@code from} whose records lead exactly to {@code hint}, or the hint */
    static long pastHole(Segment s, long from, long hint) {
        for (long candidate = from; candidate < hint; candidate += Segment.ALIGN) {
            if (leadsTo(s, candidate, hint)) {
                return candidate;
            }
        }
        return hint;
    }

    /**
     * @return the first place after the damaged record at {@code damaged} where reading may go
     *         on: a plausible record, or an unclaimed word at or past the tail hint (the end of
     *         the log, to wait at); {@link Segment#capacity} if the segment has none, so the
     *         reader goes on to the next one
     */
    static long pastDamage(Segment s, long damaged, CRC32C crc) {
        long hint = s.tailHint();
        for (long c = damaged + Segment.ALIGN; c + Segment.RECORD_HEADER <= s.readable; c += Segment.ALIGN) {
            long word = s.claimAcquire(c);
            if (word == 0 ? c >= hint : plausible(s, c, hint, crc)) {
                return c;
            }
        }
        return s.capacity;
    }

    /**
     * @return whether the claimed word at {@code at} starts a record a writer could have made:
     *         an END at or past the tail hint; a committed record whose CRC-32C matches; or one
     *         not committed (or abandoned) whose chain of records ends exactly at the hint
     */
    static boolean plausible(Segment s, long at, long hint, CRC32C crc) {
        long word = s.claimAcquire(at);
        int length = (int) word;
        int state = s.stateAcquire(at);
        if (length == Segment.END_LENGTH) {
            return at >= hint && (state == Segment.END || Segment.uncommitted(state));
        }
        if (length < 0 || (word >>> 32) == 0 || at + s.sizeOf(length) > s.readable) {
            return false;
        }
        if (state == Segment.COMMITTED) {
            return checksumMatches(s, at, length, crc);
        }
        return (Segment.uncommitted(state) || state == Segment.ABANDONED) && leadsTo(s, at, hint);
    }

    /** @return whether the payload of the record at {@code at} has the CRC-32C its header gives */
    static boolean checksumMatches(Segment s, long at, int length, CRC32C crc) {
        crc.reset();
        crc.update(s.data.asSlice(at + Segment.TIME, s.payload(length) - Segment.TIME).asByteBuffer());
        return (int) crc.getValue() == s.crc(at);
    }

    /** @return whether the chain of claimed records from {@code at} ends exactly at {@code hint} */
    private static boolean leadsTo(Segment s, long at, long hint) {
        while (at < hint) {
            long word = s.claimAcquire(at);
            int length = (int) word;
            long size = s.sizeOf(Integer.toUnsignedLong(length));
            if (word == 0 || length < 0 || at + size > s.readable) {
                return false;
            }
            at += size;
        }
        return at == hint;
    }
}
