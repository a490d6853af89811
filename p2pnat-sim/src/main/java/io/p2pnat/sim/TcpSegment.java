package io.p2pnat.sim;

import java.util.Arrays;

/**
 * One simulated TCP segment (RFC 9293 §3.1, reduced to what the simulator needs): control flags,
 * sequence and acknowledgment numbers (64-bit, never wrapping, since runs are short) and payload.
 * No window, no options: the simulated stacks have no flow or congestion control.
 */
public record TcpSegment(int flags, long seq, long ack, byte[] data) {
    public static final int SYN = 1;
    public static final int ACK = 2;
    public static final int FIN = 4;
    public static final int RST = 8;
    private static final byte[] NONE = new byte[0];

    public TcpSegment {
        data = data == null ? NONE : data;
    }

    static TcpSegment control(int flags, long seq, long ack) {
        return new TcpSegment(flags, seq, ack, NONE);
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** A SYN without ACK: the segment that opens a connection (what a NAT's conntrack calls NEW). */
    public boolean isOpening() {
        return has(SYN) && !has(ACK);
    }

    /** Sequence space taken: payload, plus one each for SYN and FIN. */
    long length() {
        return data.length + (has(SYN) ? 1 : 0) + (has(FIN) ? 1 : 0);
    }

    int hash() {
        return ((flags * 31 + Long.hashCode(seq)) * 31 + Long.hashCode(ack)) * 31 + Arrays.hashCode(data);
    }

    /** E.g. "SYN-ACK seq=5 ack=9 12B". */
    String describe() {
        StringBuilder b = new StringBuilder();
        if (has(SYN)) {
            b.append("SYN");
        }
        if (has(FIN)) {
            b.append(b.length() > 0 ? "-" : "").append("FIN");
        }
        if (has(RST)) {
            b.append(b.length() > 0 ? "-" : "").append("RST");
        }
        if (has(ACK)) {
            b.append(b.length() > 0 ? "-" : "").append("ACK");
        }
        return b + " seq=" + seq + " ack=" + ack + (data.length > 0 ? " " + data.length + "B" : "");
    }
}
