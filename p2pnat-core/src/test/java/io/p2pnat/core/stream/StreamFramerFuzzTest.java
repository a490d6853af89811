package io.p2pnat.core.stream;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Jazzer: {@link StreamFramer} in every {@link StreamFramer.Mode} on arbitrary byte streams cut
 * into arbitrary chunks, fed with {@link StreamFramer#feed} or {@link StreamFramer#take} at random.
 * Only its declared {@link StreamFramer.StreamFormatException} may come out, with a message; take
 * never takes more than offered and holds at most one message; every message handed out is one
 * frame its own header describes (STUN: 20 bytes plus a length that is a multiple of four, at most
 * {@link StreamFramer#MAX_SIGNALING_MESSAGE} bytes in the STUN modes; ChannelData: 4 bytes plus its
 * length padded to four); the messages and the remainder are the input, in order, nothing lost;
 * and how the stream is cut changes neither the messages nor whether it is refused. {@code mvn
 * test} fuzzes it for {@code p2pnat.fuzz.seconds} (see p2pnat-core/pom.xml).
 */
class StreamFramerFuzzTest {
    @FuzzTest(maxDuration = "2s")
    void frame(FuzzedDataProvider data) {
        StreamFramer.Mode mode = data.pickValue(StreamFramer.Mode.values());
        StreamFramer f = new StreamFramer(mode);
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<byte[]> messages = new ArrayList<>();
        boolean refused = false;
        while (data.remainingBytes() > 0 && !refused) {
            boolean take = data.consumeBoolean();
            byte[] chunk = data.consumeBytes(1 + data.consumeInt(0, 600));
            int off = 0;
            while (off < chunk.length && !refused) {
                int used = chunk.length - off;
                if (take) {
                    used = f.take(chunk, off, chunk.length - off);
                    check(used >= 0 && used <= chunk.length - off, "took " + used + " of " + (chunk.length - off));
                } else {
                    f.feed(chunk, off, used);
                }
                in.write(chunk, off, used);
                off += used;
                refused = drain(f, mode, messages, out);
                if (take && !refused) {
                    check(used > 0 || off == chunk.length, "took nothing, yet holds no whole message");
                    check(f.buffered() <= maxMessage(mode), "holds " + f.buffered() + " bytes");
                }
            }
        }
        if (!refused && mode != StreamFramer.Mode.TURN) {
            check(f.buffered() < StreamFramer.MAX_SIGNALING_MESSAGE, "buffered " + f.buffered());
        }
        byte[] rest = f.drainRemainder();
        out.write(rest, 0, rest.length);
        check(f.buffered() == 0, "drained, yet holds " + f.buffered());
        check(Arrays.equals(in.toByteArray(), out.toByteArray()), "the messages and the rest are not the input");
        sameInOneChunk(mode, in.toByteArray(), messages, refused);
    }

    /** Hands out every whole message; true if the framer refused the stream. */
    private static boolean drain(StreamFramer f, StreamFramer.Mode mode, List<byte[]> messages, ByteArrayOutputStream out) {
        try {
            for (byte[] m; (m = f.next()) != null; ) {
                checkFrame(mode, m);
                messages.add(m);
                out.write(m, 0, m.length);
            }
            return false;
        } catch (StreamFramer.StreamFormatException e) {
            check(e.getMessage() != null, "exception without a message");
            try {
                f.next();
                check(false, "a refused stream resynchronised");
            } catch (StreamFramer.StreamFormatException again) {
                // stays refused
            }
            return true;
        }
    }

    /** The same bytes fed at once give the same messages and the same verdict. */
    private static void sameInOneChunk(StreamFramer.Mode mode, byte[] all, List<byte[]> messages, boolean refused) {
        StreamFramer whole = new StreamFramer(mode);
        whole.feed(all, 0, all.length);
        List<byte[]> again = new ArrayList<>();
        boolean refusedAgain = drain(whole, mode, again, new ByteArrayOutputStream());
        check(refusedAgain == refused, "refused " + refused + " in chunks, " + refusedAgain + " at once");
        check(again.size() == messages.size(), messages.size() + " messages in chunks, " + again.size() + " at once");
        for (int i = 0; i < again.size(); i++) {
            check(Arrays.equals(again.get(i), messages.get(i)), "message " + i + " differs");
        }
    }

    private static void checkFrame(StreamFramer.Mode mode, byte[] m) {
        check(m.length >= 4, "message of " + m.length + " bytes");
        int length = ((m[2] & 0xFF) << 8) | (m[3] & 0xFF);
        if ((m[0] & 0xC0) == 0x40) {
            check(mode == StreamFramer.Mode.TURN, "ChannelData out of " + mode);
            check(m.length == 4 + (length + 3) / 4 * 4, "ChannelData of length " + length + " in " + m.length + " bytes");
            return;
        }
        check((m[0] & 0xC0) == 0, "first byte " + m[0]);
        check(length % 4 == 0 && m.length == 20 + length, "STUN of length " + length + " in " + m.length + " bytes");
        check(m.length <= maxMessage(mode), "message of " + m.length + " bytes");
        if (mode == StreamFramer.Mode.STUN_STRICT) {
            check(m[4] == 0x21 && m[5] == 0x12 && m[6] == (byte) 0xA4 && m[7] == 0x42, "no magic cookie");
        }
    }

    private static int maxMessage(StreamFramer.Mode mode) {
        return mode == StreamFramer.Mode.TURN ? 4 + 65536 : StreamFramer.MAX_SIGNALING_MESSAGE;
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
