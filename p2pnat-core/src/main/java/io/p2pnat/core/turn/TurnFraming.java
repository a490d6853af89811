package io.p2pnat.core.turn;

/**
 * How TURN messages follow one another on a TCP or TLS connection (RFC 8656 §12.5): there is no
 * framing of their own, each is self-delimiting. A STUN message is its 20-byte header plus its
 * length field; a ChannelData message is 4 bytes plus its length rounded up to a multiple of four.
 * The first two bits tell them apart; anything else cannot be resynchronised.
 */
public final class TurnFraming {
    private TurnFraming() {
    }

    /**
     * The size of the message whose first byte is {@code firstByte} and whose bytes 2-3 (its length
     * field) are {@code lengthField}; -1 if it is neither STUN nor ChannelData (or a STUN length that
     * is not a multiple of four).
     */
    public static int messageSize(int firstByte, int lengthField) {
        int top = firstByte & 0xC0;
        if (top == 0x00) {
            return lengthField % 4 == 0 ? 20 + lengthField : -1;
        }
        if (top == 0x40) {
            return ChannelData.HEADER + (lengthField + 3 & ~3);
        }
        return -1;
    }
}
