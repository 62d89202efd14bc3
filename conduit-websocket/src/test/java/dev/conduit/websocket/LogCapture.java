package dev.conduit.websocket;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.text.MessageFormat;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What Conduit logs ({@code System.Logger} "dev.conduit", through java.util.logging) during each
 * test of a class that registers it: {@code @RegisterExtension final LogCapture log = new LogCapture();}.
 */
final class LogCapture implements BeforeEachCallback, AfterEachCallback {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    /** Held here so that the logging framework cannot drop it, and its handler with it. */
    private final Logger logger = Logger.getLogger("dev.conduit");
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @Override
    public void beforeEach(ExtensionContext context) {
        records.clear();
        logger.addHandler(handler);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        logger.removeHandler(handler);
    }

    /** @return whether a line at {@code level} or above holds every one of {@code parts} */
    boolean has(Level level, String... parts) {
        return records.stream().anyMatch(r -> r.getLevel().intValue() >= level.intValue()
                && Arrays.stream(parts).allMatch(format(r)::contains));
    }

    /** Fails unless {@link #has} holds, quoting every line logged. */
    void assertHas(Level level, String... parts) {
        assertTrue(has(level, parts), "a log line at " + level + " or above holding " + List.of(parts) + "; logged: "
                + records.stream().map(LogCapture::format).toList());
    }

    private static String format(LogRecord r) {
        return r.getParameters() == null ? r.getMessage() : MessageFormat.format(r.getMessage(), r.getParameters());
    }
}
