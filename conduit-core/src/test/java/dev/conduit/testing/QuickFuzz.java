package dev.conduit.testing;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A fuzz test of the default run: 15 s of fuzzing (within the default 60 s time-out), in the
 * surefire execution {@code fuzz}. Pair it with a {@link LongFuzz} twin.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@FuzzTest(maxDuration = "15s")
public @interface QuickFuzz {
}
