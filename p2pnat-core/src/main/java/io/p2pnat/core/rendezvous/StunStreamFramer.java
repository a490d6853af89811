package io.p2pnat.core.rendezvous;

import io.p2pnat.wire.StunMessage;

/**
 * Splits a TCP byte stream into STUN messages (RFC 8489 §6.2.2: over TCP, STUN messages are
 * delimited by their own length field). Holds at most one message, and only a 20-byte header
 * between messages; rejects anything that cannot be a STUN message of at most
 * {@link #MAX_MESSAGE} bytes as soon as its first bytes show it.
 */
final class StunStreamFramer {
    /** Largest message accepted over a stream; our signaling needs far less. */
    static final int MAX_MESSAGE = 4096;

    private final byte[] header = new byte[StunMessage.HEADER_LENGTH];
    private byte[] message;
    private int have;

    /**
     * Consumes bytes from {@code buf[off, off+len)} up to the end of the current message.
     *
     * @return how many bytes were consumed (then check {@link #complete}), or -1 if the stream is
     *         not STUN or announces a message over {@link #MAX_MESSAGE} bytes
     */
    int take(byte[] buf, int off, int len) {
        int used = 0;
        if (message == null) {
            int k = Math.min(StunMessage.HEADER_LENGTH - have, len);
            System.arraycopy(buf, off, header, have, k);
            int before = have;
            have += k;
            used = k;
            if (!plausible(before)) {
                return -1;
            }
            if (have < StunMessage.HEADER_LENGTH) {
                return used;
            }
            int bodyLength = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
            if ((bodyLength & 3) != 0 || StunMessage.HEADER_LENGTH + bodyLength > MAX_MESSAGE) {
                return -1;
            }
            message = new byte[StunMessage.HEADER_LENGTH + bodyLength];
            System.arraycopy(header, 0, message, 0, StunMessage.HEADER_LENGTH);
        }
        int k = Math.min(message.length - have, len - used);
        System.arraycopy(buf, off + used, message, have, k);
        have += k;
        return used + k;
    }

    /** Checks the header bytes that arrived since {@code before}: first two bits, magic cookie. */
    private boolean plausible(int before) {
        if (before == 0 && have > 0 && (header[0] & 0xC0) != 0) {
            return false;
        }
        for (int i = Math.max(before, 4); i < Math.min(have, 8); i++) {
            if (header[i] != (byte) (StunMessage.MAGIC_COOKIE >>> (8 * (7 - i)))) {
                return false;
            }
        }
        return true;
    }

    /** True when a whole message is held. */
    boolean complete() {
        return message != null && have == message.length;
    }

    /** The whole message held, handing it over; the framer then waits for the next one. */
    byte[] next() {
        if (!complete()) {
            throw new IllegalStateException("no whole message");
        }
        byte[] m = message;
        message = null;
        have = 0;
        return m;
    }

    /** True if part of a message has arrived. */
    boolean partial() {
        return have > 0;
    }
}
