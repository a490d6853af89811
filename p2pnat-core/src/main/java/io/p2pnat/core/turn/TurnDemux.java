package io.p2pnat.core.turn;

import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;

/**
 * First-byte demultiplexing of one UDP port shared by TURN and other STUN users (RFC 7983 §7,
 * RFC 8656 §12 table 3): ChannelData (first byte 64-79, or 80-127 for RFC 5766's channel range) and STUN messages with a TURN method
 * (RFC 8656 §17: Allocate 0x003, Refresh 0x004, Send 0x006, Data 0x007, CreatePermission 0x008,
 * ChannelBind 0x009; RFC 6062's 0x00A-0x00C) belong to TURN; anything else (Binding, our
 * signaling methods, our data frames) does not.
 */
public final class TurnDemux {
    private TurnDemux() {
    }

    /** True if the datagram is for the TURN service. */
    public static boolean isTurn(byte[] buf, int off, int len) {
        if (ChannelData.looksLikeChannelData(buf, off, len)) {
            return true;
        }
        if (!StunMessage.looksLikeStun(buf, off, len)) {
            return false;
        }
        int method = stunMethod(buf, off);
        return method >= StunMethod.ALLOCATE && method <= StunMethod.CONNECTION_ATTEMPT && method != 0x005;
    }

    /** The 12-bit method of a STUN header (RFC 8489 §5), without decoding the message. */
    static int stunMethod(byte[] buf, int off) {
        int type = ((buf[off] & 0xFF) << 8) | (buf[off + 1] & 0xFF);
        return (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2);
    }
}
