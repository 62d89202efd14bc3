package dev.conduit.cli;

import dev.conduit.Units;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;

/**
 * Durations as the commands take them, in the grammar endpoint options use ({@link Units}): a
 * whole number and a unit, e.g. {@code 50us}, {@code 500ms}, {@code 5s}, {@code 1m}.
 */
final class Durations {
    private Durations() {
    }

    /**
     * @param text a whole number and a unit {@code ns}, {@code us}, {@code ms}, {@code s}, {@code m} or {@code h}
     * @return the duration
     * @throws IllegalArgumentException naming the text and the expected form, if malformed
     */
    static Duration parse(String text) {
        return Units.parseDuration(text);
    }

    /**
     * @param d a duration
     * @return it as {@link #parse} reads it, in the largest unit that is exact, e.g. {@code 5s}
     */
    static String format(Duration d) {
        return Units.format(d);
    }

    /** Reads duration options for picocli; a bad value is a usage error. */
    static final class Converter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
