package dev.conduit;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/** UTF-8 conversions shared by the default methods of the API interfaces. */
final class Utf8 {
    private Utf8() {
    }

    static MemorySegment encode(CharSequence text) {
        return MemorySegment.ofArray(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    static String decode(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}
