package io.p2pnat.core.peer;

import io.p2pnat.core.Signaling;
import java.nio.ByteBuffer;

/**
 * Application data between peers: one byte marker (0xD0 data, 0xD1 close, 0xD2 relayed; outside STUN's 0-3 so
 * a receiver demultiplexes on the first byte as RFC 7983 does), the 8-byte session id, payload.
 */
final class DataFrames {
    static final int HEADER = 9;
    /** Largest payload: keeps sealed datagrams under a 1280-byte IPv6 minimum MTU with headers. */
    static final int MAX_PAYLOAD = 1200 - io.p2pnat.core.secure.SecureChannel.OVERHEAD;
    /**
     * Largest stream (QUIC) packet. QUIC starts at 1,200 bytes (RFC 9000 §14) and its path MTU
     * discovery (RFC 8899) probes up to this: a sealed stream frame of 1,433 bytes, 1,470 on the
     * wire over IPv4 relayed (IPv6 direct: 1,481), under an Ethernet path's 1,500; 14% fewer
     * packets per megabyte than at 1,200.
     */
    static final int MAX_STREAM_PACKET = 1400;

    private DataFrames() {
    }

    static byte[] data(long sessionId, byte[] payload) {
        return ByteBuffer.allocate(HEADER + payload.length).put(Signaling.DATA_FRAME).putLong(sessionId).put(payload).array();
    }

    static byte[] close(long sessionId) {
        return ByteBuffer.allocate(HEADER).put(Signaling.CLOSE_FRAME).putLong(sessionId).array();
    }

    /** Wraps a peer packet for the server's native relay: [0xD2][session id][packet]. */
    static byte[] relay(long sessionId, byte[] packet) {
        return ByteBuffer.allocate(HEADER + packet.length).put(Signaling.RELAY_FRAME).putLong(sessionId).put(packet).array();
    }

    static boolean isRelayFrame(byte[] buf, int off, int len) {
        return len > HEADER && buf[off] == Signaling.RELAY_FRAME;
    }

    static boolean isFrame(byte[] buf, int off, int len) {
        return len >= HEADER && (buf[off] == Signaling.DATA_FRAME || buf[off] == Signaling.CLOSE_FRAME
                || buf[off] == Signaling.HANDSHAKE_FRAME || buf[off] == Signaling.STREAM_FRAME
                || buf[off] == Signaling.STREAM_ANSWER_FRAME);
    }

    static byte[] frame(byte type, long sessionId, byte[] body) {
        return ByteBuffer.allocate(HEADER + body.length).put(type).putLong(sessionId).put(body).array();
    }

    static long sessionId(byte[] buf, int off) {
        return ByteBuffer.wrap(buf, off + 1, 8).getLong();
    }
}
