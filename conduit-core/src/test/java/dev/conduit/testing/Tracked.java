package dev.conduit.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test opened, to close in reverse order after it (from {@code @AfterEach}), whatever
 * the test's outcome. Each is closed even if one before it fails; the first failure is thrown
 * with the others suppressed.
 */
public final class Tracked {
    private final List<AutoCloseable> open = new ArrayList<>();

    /** @return {@code resource}, now to be closed after the test */
    public synchronized <T extends AutoCloseable> T add(T resource) {
        open.add(resource);
        return resource;
    }

    /** Closes everything added so far, the last first. */
    public synchronized void closeAll() throws Exception {
        Exception first = null;
        for (AutoCloseable c : open.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        open.clear();
        if (first != null) {
            throw first;
        }
    }
}
