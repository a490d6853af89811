package io.p2pnat.core.turn;

/**
 * The ChannelData message, RFC 8656 §12.4:
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Channel Number        |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * /                       Application Data                        /
 * </pre>
 * §12.6: a channel number in the reserved range (0x5000-0xFFFF) is "silently discarded", as is a
 * datagram "too short to contain the claimed length". Over UDP padding "MAY be included". RFC 5766
 * clients use 0x4000-0x7FFF, so the receiver says which top it accepts.
 */
public final class ChannelData {
    public static final int HEADER = 4;

    private ChannelData() {
    }

    /**
     * RFC 7983 / RFC 8656 §12 table 3: first byte 64-79 is a TURN channel; 80-127 were channels
     * under RFC 5766 (0x4000-0x7FFF) and nothing else on a TURN port uses them.
     */
    public static boolean looksLikeChannelData(byte[] buf, int off, int len) {
        return len >= HEADER && (buf[off] & 0xC0) == 0x40;
    }

    /** The channel number (0x4000-0x4FFF), or -1 if the message is malformed. */
    public static int channel(byte[] buf, int off, int len) {
        return channel(buf, off, len, TurnLimits.CHANNEL_MAX);
    }

    /** The channel number (0x4000 to {@code maxChannel}), or -1 if the message is malformed. */
    public static int channel(byte[] buf, int off, int len, int maxChannel) {
        if (len < HEADER) {
            return -1;
        }
        int number = ((buf[off] & 0xFF) << 8) | (buf[off + 1] & 0xFF);
        if (number < TurnLimits.CHANNEL_MIN || number > maxChannel) {
            return -1;
        }
        return dataLength(buf, off) > len - HEADER ? -1 : number;
    }

    /** The Length field (the application data's length). */
    public static int dataLength(byte[] buf, int off) {
        return ((buf[off + 2] & 0xFF) << 8) | (buf[off + 3] & 0xFF);
    }

    /** A ChannelData message (unpadded, as UDP allows) carrying {@code data[off, off+len)}. */
    public static byte[] encode(int channel, byte[] data, int off, int len) {
        return encode(channel, data, off, len, false);
    }

    /**
     * A ChannelData message carrying {@code data[off, off+len)}; {@code padded}: zero bytes up to
     * a multiple of four, as RFC 8656 §12.5 requires over TCP ("the ChannelData message MUST be
     * padded to a multiple of four bytes"), since the stream has no other framing.
     */
    public static byte[] encode(int channel, byte[] data, int off, int len, boolean padded) {
        if (channel < TurnLimits.CHANNEL_MIN || channel > TurnLimits.CHANNEL_MAX_RFC5766) {
            throw new IllegalArgumentException("channel number must be 0x4000-0x7FFF: " + channel);
        }
        if (len > 0xFFFF) {
            throw new IllegalArgumentException("ChannelData carries at most 65535 bytes");
        }
        byte[] out = new byte[padded ? HEADER + (len + 3 & ~3) : HEADER + len];
        out[0] = (byte) (channel >> 8);
        out[1] = (byte) channel;
        out[2] = (byte) (len >> 8);
        out[3] = (byte) len;
        System.arraycopy(data, off, out, HEADER, len);
        return out;
    }
}
