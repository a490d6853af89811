package io.p2pnat.core.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.stream.StreamFramer.Mode;
import io.p2pnat.core.stream.StreamFramer.StreamFormatException;
import io.p2pnat.core.turn.ChannelData;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamFramerTest {
    private final Random rnd = new Random(7);

    /** A Binding request of exactly {@code size} bytes (20 + 4 + padding). */
    private byte[] stun(int size) {
        return StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(rnd))
                .addAttribute(Signaling.PADDING, new byte[size - 24]).build().encode();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    /** A 20-byte STUN header with the magic cookie. */
    private static byte[] header(int first, int length) {
        byte[] h = new byte[20];
        h[0] = (byte) first;
        h[2] = (byte) (length >> 8);
        h[3] = (byte) length;
        h[4] = 0x21;
        h[5] = 0x12;
        h[6] = (byte) 0xA4;
        h[7] = 0x42;
        return h;
    }

    @Test
    void messagesSplitAcrossReadsComeOutWhole() throws Exception {
        for (Mode mode : Mode.values()) {
            byte[] m = stun(64);
            StreamFramer f = new StreamFramer(mode);
            for (int i = 0; i < m.length - 1; i++) {
                f.feed(m, i, 1);
                assertNull(f.next(), mode + " after " + (i + 1) + " bytes");
            }
            f.feed(m, m.length - 1, 1);
            assertArrayEquals(m, f.next(), mode.toString());
            assertNull(f.next());
            assertEquals(0, f.buffered());
        }
    }

    @Test
    void severalMessagesInOneReadAndTheRestDrained() throws Exception {
        byte[] a = stun(32);
        byte[] b = stun(100);
        byte[] stream = concat(a, b, "app".getBytes());
        for (Mode mode : Mode.values()) {
            StreamFramer f = new StreamFramer(mode);
            f.feed(stream, 0, stream.length);
            assertArrayEquals(a, f.next());
            assertArrayEquals(b, f.next());
            assertEquals(3, f.buffered());
            assertEquals("app", new String(f.drainRemainder()));
            assertEquals(0, f.buffered());
        }
    }

    @Test
    void takeHoldsAtMostOneMessage() throws Exception {
        byte[] a = stun(32);
        byte[] b = stun(48);
        byte[] stream = concat(a, b);
        StreamFramer f = new StreamFramer(Mode.STUN_STRICT);
        assertEquals(20, f.take(stream, 0, stream.length), "the header first");
        assertNull(f.next());
        assertEquals(12, f.take(stream, 20, stream.length - 20), "then the rest of that message only");
        assertEquals(0, f.take(stream, 32, stream.length - 32), "nothing more while it is held");
        assertArrayEquals(a, f.next());
        assertEquals(20, f.take(stream, 32, 40));
        assertEquals(28, f.take(stream, 52, 28));
        assertArrayEquals(b, f.next());

        StreamFramer turn = new StreamFramer(Mode.TURN);
        byte[] data = ChannelData.encode(0x4000, new byte[5], 0, 5, true);
        byte[] both = concat(data, a);
        assertEquals(4, turn.take(both, 0, both.length), "a TURN frame's size is known from 4 bytes");
        assertEquals(8, turn.take(both, 4, both.length - 4));
        assertArrayEquals(data, turn.next());
    }

    @Test
    void channelDataIsPaddedToFourOnlyInTurnMode() throws Exception {
        byte[] five = ChannelData.encode(0x4001, new byte[] {1, 2, 3, 4, 5}, 0, 5, true);
        assertEquals(12, five.length);
        byte[] empty = ChannelData.encode(0x4002, new byte[0], 0, 0, true);
        byte[] m = stun(28);
        byte[] stream = concat(five, m, empty, five);
        StreamFramer f = new StreamFramer(Mode.TURN);
        f.feed(stream, 0, 11);
        assertNull(f.next(), "5 bytes of data padded to 8: 12 in all");
        f.feed(stream, 11, stream.length - 11);
        assertArrayEquals(five, f.next());
        assertArrayEquals(m, f.next());
        assertArrayEquals(empty, f.next());
        assertArrayEquals(five, f.next());
        assertNull(f.next());

        for (Mode stunOnly : new Mode[] {Mode.STUN, Mode.STUN_STRICT}) {
            StreamFramer s = new StreamFramer(stunOnly);
            s.feed(five, 0, five.length);
            StreamFormatException e = assertThrows(StreamFormatException.class, s::next, stunOnly.toString());
            assertEquals("not a STUN message (first byte 0x40)", e.getMessage());
        }
    }

    @Test
    void signalingModesRefuseMessagesOverTheLimit() throws Exception {
        byte[] largest = stun(StreamFramer.MAX_SIGNALING_MESSAGE);
        byte[] over = header(0, StreamFramer.MAX_SIGNALING_MESSAGE - 20 + 4);
        for (Mode mode : new Mode[] {Mode.STUN, Mode.STUN_STRICT}) {
            StreamFramer f = new StreamFramer(mode);
            f.feed(largest, 0, largest.length);
            assertArrayEquals(largest, f.next());
            f.feed(over, 0, over.length);
            StreamFormatException e = assertThrows(StreamFormatException.class, f::next, mode.toString());
            assertEquals("bad STUN length 4080", e.getMessage());
        }
        StreamFramer turn = new StreamFramer(Mode.TURN);
        byte[] big = stun(20 + 65532);
        turn.feed(big, 0, big.length);
        assertArrayEquals(big, turn.next(), "TURN: only the 16-bit length field limits a message");
    }

    @Test
    void aStunLengthThatIsNotAMultipleOfFourIsRefused() {
        for (Mode mode : Mode.values()) {
            StreamFramer f = new StreamFramer(mode);
            byte[] odd = header(0, 6);
            f.feed(odd, 0, odd.length);
            assertEquals("bad STUN length 6", assertThrows(StreamFormatException.class, f::next).getMessage());
        }
    }

    @Test
    void garbageIsRefusedOnceFourBytesAreIn() throws Exception {
        byte[] http = "GET / HTTP/1.1\r\n".getBytes();
        for (Mode mode : new Mode[] {Mode.STUN, Mode.TURN}) {
            StreamFramer f = new StreamFramer(mode);
            byte[] tls = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01}; // TLS ClientHello: first bits 00
            f.feed(new byte[] {(byte) 0xD0}, 0, 1);
            assertNull(f.next(), mode + ": its size is judged on four bytes");
            f.feed(new byte[] {0, 0, 0}, 0, 3);
            StreamFormatException e = assertThrows(StreamFormatException.class, f::next);
            assertEquals((mode == Mode.TURN ? "neither STUN nor ChannelData" : "not a STUN message")
                    + " (first byte 0xd0)", e.getMessage());
            StreamFramer t = new StreamFramer(mode);
            t.feed(tls, 0, tls.length);
            assertEquals("bad STUN length 258", assertThrows(StreamFormatException.class, t::next).getMessage());
        }
        StreamFramer turn = new StreamFramer(Mode.TURN);
        turn.feed(http, 0, http.length);
        assertNull(turn.next(), "to TURN, 'G' (0x47) starts ChannelData: 4 + 0x5420 bytes, not all in");
        StreamFramer stun = new StreamFramer(Mode.STUN);
        stun.feed(http, 0, http.length);
        assertThrows(StreamFormatException.class, stun::next);
    }

    @Test
    void strictModeRefusesAtTheFirstWrongByte() throws Exception {
        StreamFramer f = new StreamFramer(Mode.STUN_STRICT);
        assertEquals(1, f.take(new byte[] {(byte) 0xFF}, 0, 1));
        assertEquals("not a STUN message (first byte 0xff)",
                assertThrows(StreamFormatException.class, f::next).getMessage());

        byte[] badCookie = stun(32);
        badCookie[6] ^= 1;
        StreamFramer c = new StreamFramer(Mode.STUN_STRICT);
        c.feed(badCookie, 0, 6);
        assertNull(c.next(), "cookie bytes 4 and 5 are right");
        c.feed(badCookie, 6, 1);
        assertEquals("not a STUN message (no magic cookie)",
                assertThrows(StreamFormatException.class, c::next).getMessage());

        byte[] noCookie = stun(32);
        Arrays.fill(noCookie, 4, 8, (byte) 0);
        StreamFramer plain = new StreamFramer(Mode.STUN);
        plain.feed(noCookie, 0, noCookie.length);
        assertArrayEquals(noCookie, plain.next(), "STUN mode leaves the cookie to the decoder");

        byte[] oversized = header(0, 0x1000);
        StreamFramer o = new StreamFramer(Mode.STUN_STRICT);
        o.feed(oversized, 0, 19);
        assertNull(o.next(), "the length is judged once the header is whole");
        o.feed(oversized, 19, 1);
        assertThrows(StreamFormatException.class, o::next);
    }

    @Test
    void aRefusedStreamStaysRefused() {
        StreamFramer f = new StreamFramer(Mode.TURN);
        f.feed(new byte[] {(byte) 0x80, 0, 0, 0}, 0, 4);
        assertThrows(StreamFormatException.class, f::next);
        assertEquals(0, f.take(new byte[20], 0, 20), "take takes nothing more");
        f.feed(stun(24), 0, 24);
        assertThrows(StreamFormatException.class, f::next);
        assertEquals(28, f.drainRemainder().length);
    }
}
