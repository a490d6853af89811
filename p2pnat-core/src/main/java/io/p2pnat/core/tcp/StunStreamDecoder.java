package io.p2pnat.core.tcp;

import java.util.Arrays;

/**
 * Splits a TCP byte stream into STUN messages (RFC 8489 §6.2.2: over TCP, STUN messages are
 * delimited by their own length field). Bytes after the last whole message stay buffered;
 * {@link #drainRemainder()} hands them over when the stream stops carrying STUN.
 */
public final class StunStreamDecoder {
    /** Largest message accepted on a stream; anything bigger means the stream is not ours. */
    public static final int MAX_MESSAGE = 4096;

    private byte[] buf = new byte[512];
    private int len;

    /** Appends received bytes. */
    public void feed(byte[] data, int off, int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
        System.arraycopy(data, off, buf, len, n);
        len += n;
    }

    /**
     * The next whole message, or null if more bytes are needed.
     *
     * @throws StreamFormatException if the stream does not carry STUN (bad leading bits or
     *                               a length over {@link #MAX_MESSAGE})
     */
    public byte[] next() throws StreamFormatException {
        if (len < 4) {
            return null;
        }
        if ((buf[0] & 0xC0) != 0) {
            throw new StreamFormatException("not a STUN message (first byte 0x" + Integer.toHexString(buf[0] & 0xFF) + ")");
        }
        int bodyLen = ((buf[2] & 0xFF) << 8) | (buf[3] & 0xFF);
        int total = 20 + bodyLen;
        if (total > MAX_MESSAGE || bodyLen % 4 != 0) {
            throw new StreamFormatException("bad STUN length " + bodyLen);
        }
        if (len < total) {
            return null;
        }
        byte[] msg = Arrays.copyOf(buf, total);
        System.arraycopy(buf, total, buf, 0, len - total);
        len -= total;
        return msg;
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

    /** The stream does not carry STUN framing. */
    public static final class StreamFormatException extends Exception {
        private static final long serialVersionUID = 1L;

        public StreamFormatException(String message) {
            super(message);
        }
    }
}
