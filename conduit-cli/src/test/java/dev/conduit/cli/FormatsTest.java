package dev.conduit.cli;

import dev.conduit.cli.Formats.Format;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine.TypeConversionException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(60)
final class FormatsTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void textEscapesBackslashLineFeedAndCarriageReturnSoAMessageIsOneLine() {
        assertEquals("a\\nb\\\\c\\rd", Format.TEXT.encode(utf8("a\nb\\c\rd")));
    }

    @Test
    void textRoundTripsMessagesFullOfEscapeLookalikes() {
        for (String message : List.of("", "plain", "\\", "\\n", "\\\\n", "\n\n", "a\\\nb", "end\\", "ü€😀\r\n")) {
            String line = Format.TEXT.encode(utf8(message));
            assertEquals(-1, line.indexOf('\n'), line);
            assertEquals(-1, line.indexOf('\r'), line);
            assertArrayEquals(utf8(message), Format.TEXT.decode(line), message);
        }
    }

    @Test
    void textReadsAnUnknownEscapeOrTrailingBackslashAsWritten() {
        assertArrayEquals(utf8("C:\\tmp\\x"), Format.TEXT.decode("C:\\tmp\\x"));
        assertArrayEquals(utf8("end\\"), Format.TEXT.decode("end\\"));
    }

    @Test
    void textShowsMalformedUtf8AsReplacementCharacter() {
        assertEquals("a\uFFFDb", Format.TEXT.encode(new byte[] {'a', (byte) 0xff, 'b'}));
    }

    @Test
    void hexIsLowercaseAndReadsEitherCase() {
        byte[] bytes = {0, 1, (byte) 0xab, (byte) 0xff};
        assertEquals("0001abff", Format.HEX.encode(bytes));
        assertArrayEquals(bytes, Format.HEX.decode("0001ABff"));
        assertArrayEquals(new byte[0], Format.HEX.decode(""));
    }

    @Test
    void encodesTheRemainingBytesOfABufferWithoutMovingIt() {
        ByteBuffer buffer = ByteBuffer.wrap(new byte[] {1, 2, 3, 4}).position(1).limit(3);
        assertEquals("0203", Format.HEX.encode(buffer));
        assertEquals(1, buffer.position());
    }

    @Test
    void rejectsHexWithAnOddNumberOfDigits() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Format.HEX.decode("abc"));
        assertEquals("invalid hex 'abc': odd number of digits (3; expected two per byte)", e.getMessage());
    }

    @Test
    void rejectsHexWithANonHexDigit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Format.HEX.decode("0g"));
        assertEquals("invalid hex '0g': 'g' at index 1 is not a hex digit (expected 0-9, a-f or A-F)",
                e.getMessage());
    }

    @Test
    void base64IsStandardWithPaddingAndRoundTrips() {
        byte[] bytes = {(byte) 0xfb, (byte) 0xff, 0x3e};
        assertEquals("+/8+", Format.BASE64.encode(bytes));
        assertEquals("aGk=", Format.BASE64.encode(utf8("hi")));
        assertArrayEquals(utf8("hi"), Format.BASE64.decode("aGk="));
    }

    @Test
    void rejectsMalformedBase64NamingTheInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Format.BASE64.decode("a*"));
        assertEquals("invalid base64 'a*': Illegal base64 character 2a", e.getMessage());
    }

    @Test
    void formatOptionAcceptsAnyCaseAndNamesTheChoicesOtherwise() {
        Formats.FormatConverter converter = new Formats.FormatConverter();
        assertEquals(Format.BASE64, converter.convert("Base64"));
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> converter.convert("xml"));
        assertEquals("'xml' (expected text, hex or base64)", e.getMessage());
    }
}
