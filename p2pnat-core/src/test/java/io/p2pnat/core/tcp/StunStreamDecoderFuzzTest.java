package io.p2pnat.core.tcp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer: {@link StunStreamDecoder} on arbitrary byte streams cut into arbitrary chunks. Only its
 * declared {@link StunStreamDecoder.StreamFormatException} may come out; a message handed out is at
 * most {@link StunStreamDecoder#MAX_MESSAGE} bytes and what stays buffered is less than one
 * message. {@code mvn test} fuzzes it for {@code p2pnat.fuzz.seconds} (see p2pnat-core/pom.xml).
 */
class StunStreamDecoderFuzzTest {
    @FuzzTest(maxDuration = "2s")
    void decode(FuzzedDataProvider data) {
        StunStreamDecoder d = new StunStreamDecoder();
        while (data.remainingBytes() > 0) {
            byte[] chunk = data.consumeBytes(1 + data.consumeInt(0, 600));
            d.feed(chunk, 0, chunk.length);
            try {
                for (byte[] m; (m = d.next()) != null; ) {
                    check(m.length >= 20 && m.length <= StunStreamDecoder.MAX_MESSAGE, "message of " + m.length + " bytes");
                }
            } catch (StunStreamDecoder.StreamFormatException e) {
                check(e.getMessage() != null, "exception without a message");
                d.drainRemainder();
                return;
            }
            check(d.buffered() < StunStreamDecoder.MAX_MESSAGE, "buffered " + d.buffered());
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
