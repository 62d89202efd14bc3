package dev.conduit.internal.log;

import dev.conduit.internal.posix.Libc;

import java.io.IOException;

/**
 * A waiting reader's help to the writer: the pages past the end of the log (up to
 * {@value #AHEAD} bytes ahead in the segment, in steps of at least 256 KiB) put in the page cache
 * with {@code MADV_POPULATE_READ}. The kernel makes and zeroes a file's new page on its first
 * fault; done here, while the reader has nothing to read, that work is not in the writer's
 * faults on its way to the record the reader waits for. The pages are only read: nothing in the
 * file changes, so what a crash leaves is the same. One per receiver, under its receive lock.
 */
final class PagesAhead {
    /** How far past the end of the log the pages are put in the page cache. */
    static final long AHEAD = 1 << 20;
    private static final long STEP = 256 << 10;
    private static final long PAGE = 4096;

    /** The offset in the segment's data up to which pages were put in the page cache. */
    private long populated;
    /** Whether the kernel takes {@code MADV_POPULATE_READ} (since Linux 5.14). */
    private boolean populating = true;

    /** A reader moved to another segment: nothing of it is populated yet. */
    void reset() {
        populated = 0;
    }

    /** With nothing to read at {@code at} in {@code s}: populates the pages ahead, if a step's worth is missing. */
    void populate(Segment s, long at) {
        long from = Math.max(populated, at & -PAGE);
        long to = Math.min(at + AHEAD, s.readable) & -PAGE;
        if (!populating || to - from < STEP) {
            return;
        }
        try {
            populating = Libc.madvise(s.data.asSlice(from, to - from), Libc.MADV_POPULATE_READ);
        } catch (IOException e) {
            populating = false; // Advice only: the writer's faults do the same work.
        }
        populated = to;
    }

    /** @return how far into its segment pages were populated; -1 if the kernel refused; for tests */
    long populated() {
        return populating ? populated : -1;
    }
}
