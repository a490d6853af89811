package io.p2pnat.core.stream;

import io.p2pnat.core.turn.ChannelData;
import io.p2pnat.wire.StunMessage;
import java.util.Arrays;

/**
 * Splits a TCP or TLS byte stream into the messages it carries. Over a stream, STUN messages have
 * no framing of their own: each is delimited by its own length field, the size of the message
 * after its 20-byte header (RFC 8489 §6.2.2, §5). TURN adds ChannelData (RFC 8656 §12.5): 4 bytes
 * plus its length, and over a stream "the ChannelData message MUST be padded to a multiple of four
 * bytes". The first two bits tell them apart (STUN 0b00, ChannelData 0b01); a stream that starts a
 * message with anything else cannot be resynchronised.
 *
 * <p>What is checked, and when, is the {@link Mode}'s. Bytes come in with {@link #feed} (all of
 * them) or {@link #take} (only as many as the message under way still needs, so that the framer
 * holds at most one message); {@link #next} hands out whole messages; {@link #drainRemainder}
 * hands over what is buffered when the stream stops carrying STUN.
 */
public final class StreamFramer {
    /** Largest message p2pnat's signaling streams accept; our signaling needs far less. */
    public static final int MAX_SIGNALING_MESSAGE = 4096;

    /** Which messages a stream carries and how strictly their headers are checked. */
    public enum Mode {
        /**
         * STUN messages of at most {@link #MAX_SIGNALING_MESSAGE} bytes: the first two bits and the
         * length field are checked once four bytes are in. Peers' TCP streams.
         */
        STUN(false, false, MAX_SIGNALING_MESSAGE),
        /**
         * STUN messages of at most {@link #MAX_SIGNALING_MESSAGE} bytes, the whole 20-byte header
         * checked: "the most significant 2 bits of every STUN message MUST be zeroes" as soon as the
         * first byte is in, the magic cookie (0x2112A442, RFC 8489 §5) byte by byte as it arrives,
         * the length field once the header is whole. For a server facing strangers (RFC 5128 §6.2):
         * anything that is not STUN is refused at its first wrong byte.
         */
        STUN_STRICT(false, true, MAX_SIGNALING_MESSAGE),
        /**
         * STUN and ChannelData (RFC 8656 §12.5), as large as their 16-bit length fields allow: the
         * first two bits and the length field are checked once four bytes are in. TURN over TCP
         * and TLS.
         */
        TURN(true, false, Integer.MAX_VALUE);

        private final boolean channelData;
        private final boolean strict;
        private final int maxMessage;

        Mode(boolean channelData, boolean strict, int maxMessage) {
            this.channelData = channelData;
            this.strict = strict;
            this.maxMessage = maxMessage;
        }

        /** How many bytes must be in before the message's size is judged. */
        private int sizeKnownAt() {
            return strict ? StunMessage.HEADER_LENGTH : 4;
        }
    }

    private final Mode mode;
    private byte[] buf = new byte[0];
    private int len;

    public StreamFramer(Mode mode) {
        this.mode = mode;
    }

    /** Appends all of {@code data[off, off+n)}. */
    public void feed(byte[] data, int off, int n) {
        append(data, off, n);
    }

    /**
     * Appends from {@code data[off, off+n)} only the bytes the message under way still lacks (its
     * header first, then the rest), so that at most one message is ever held.
     *
     * @return how many bytes were taken: 0 once a whole message or bytes that are not framed are
     *         held (then {@link #next} hands the message out or throws)
     */
    public int take(byte[] data, int off, int n) {
        int size;
        try {
            size = frameSize();
        } catch (StreamFormatException e) {
            return 0;
        }
        int k = Math.min(n, Math.max(0, (size > 0 ? size : mode.sizeKnownAt()) - len));
        append(data, off, k);
        return k;
    }

    /**
     * The next whole message, or null if more bytes are needed.
     *
     * @throws StreamFormatException if the stream does not carry what the mode expects (bad
     *                               leading bits, magic cookie or length)
     */
    public byte[] next() throws StreamFormatException {
        int size = frameSize();
        if (size == 0 || len < size) {
            return null;
        }
        byte[] message = Arrays.copyOf(buf, size);
        System.arraycopy(buf, size, buf, 0, len - size);
        len -= size;
        return message;
    }

    /** Buffered bytes that were not part of a message; empties the buffer. */
    public byte[] drainRemainder() {
        byte[] rest = Arrays.copyOf(buf, len);
        len = 0;
        return rest;
    }

    /** Bytes buffered. */
    public int buffered() {
        return len;
    }

    private void append(byte[] data, int off, int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
        System.arraycopy(data, off, buf, len, n);
        len += n;
    }

    /** The size of the message at the head of the buffer; 0 while it is not known yet. */
    private int frameSize() throws StreamFormatException {
        if (mode.strict) {
            checkArrivedHeader();
        }
        if (len < mode.sizeKnownAt()) {
            return 0;
        }
        int top = buf[0] & 0xC0;
        int length = ((buf[2] & 0xFF) << 8) | (buf[3] & 0xFF);
        if (top == 0x40 && mode.channelData) {
            return ChannelData.HEADER + (length + 3 & ~3);
        }
        if (top != 0) {
            throw notFramed();
        }
        int size = StunMessage.HEADER_LENGTH + length;
        if (size > mode.maxMessage || length % 4 != 0) {
            throw new StreamFormatException("bad STUN length " + length);
        }
        return size;
    }

    /** {@link Mode#STUN_STRICT}: the first two bits and the magic cookie bytes that are in. */
    private void checkArrivedHeader() throws StreamFormatException {
        if (len > 0 && (buf[0] & 0xC0) != 0) {
            throw notFramed();
        }
        for (int i = 4; i < Math.min(len, 8); i++) {
            if (buf[i] != (byte) (StunMessage.MAGIC_COOKIE >>> (8 * (7 - i)))) {
                throw new StreamFormatException("not a STUN message (no magic cookie)");
            }
        }
    }

    private StreamFormatException notFramed() {
        return new StreamFormatException((mode.channelData ? "neither STUN nor ChannelData" : "not a STUN message")
                + " (first byte 0x" + Integer.toHexString(buf[0] & 0xFF) + ")");
    }

    /** The stream does not carry what the framer's mode expects. */
    public static final class StreamFormatException extends Exception {
        private static final long serialVersionUID = 1L;

        public StreamFormatException(String message) {
            super(message);
        }
    }
}
