package dev.conduit.testing;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A fuzz test for {@code -Pfuzz} only: 10 minutes of fuzzing. Give the method a
 * {@code @Timeout} above that; the default run leaves it out by its tag.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@FuzzTest(maxDuration = "10m")
@Tag("long-fuzz")
public @interface LongFuzz {
}
