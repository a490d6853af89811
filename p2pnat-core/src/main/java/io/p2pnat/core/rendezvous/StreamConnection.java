package io.p2pnat.core.rendezvous;

import io.p2pnat.core.stream.StreamFramer;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.List;

/** One TCP connection to the rendezvous service, as {@link StreamSessions} tracks it. */
final class StreamConnection {
    enum State {
        /** Not authenticated yet: counted against the pending cap, on the handshake timer. */
        PENDING,
        /** Carries the peer's TCP registration and its keepalives. */
        REGISTERED,
        /** Attached to an introduction's stream relay, waiting for the other peer. */
        ATTACHED
    }

    final long id;
    final InetSocketAddress remote;
    final StreamFramer framer = new StreamFramer(StreamFramer.Mode.STUN_STRICT);
    State state = State.PENDING;
    long deadline;
    String peerId;
    List<InetSocketAddress> privates = List.of();
    long introId;
    byte[] attachKey;
    TransactionId attachTransaction;
    /** Bytes sent after RELAY-ATTACH, before the splice: forwarded when it starts. */
    private byte[] early;
    private int earlyLength;

    StreamConnection(long id, InetSocketAddress remote) {
        this.id = id;
        this.remote = remote;
    }

    /** Holds early bytes; false if they would exceed {@link StreamFramer#MAX_SIGNALING_MESSAGE}. */
    boolean hold(byte[] buf, int off, int len) {
        if (earlyLength + len > StreamFramer.MAX_SIGNALING_MESSAGE) {
            return false;
        }
        if (early == null || early.length < earlyLength + len) {
            byte[] grown = new byte[Math.min(StreamFramer.MAX_SIGNALING_MESSAGE, Math.max(256, 2 * (earlyLength + len)))];
            if (early != null) {
                System.arraycopy(early, 0, grown, 0, earlyLength);
            }
            early = grown;
        }
        System.arraycopy(buf, off, early, earlyLength, len);
        earlyLength += len;
        return true;
    }

    /** The held early bytes, or null if none. */
    byte[] early() {
        if (earlyLength == 0) {
            return null;
        }
        byte[] out = new byte[earlyLength];
        System.arraycopy(early, 0, out, 0, earlyLength);
        return out;
    }
}
