package io.p2pnat.core.peer;

import io.p2pnat.core.Transmit;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;

/**
 * What the parts of one {@link PeerAgent} share: its configuration and random source, the
 * queues of datagrams to send and events to report (in the order the parts add to them), and
 * the numbering of the extra local sockets the driver opens on demand.
 */
final class AgentContext {
    final PeerConfig config;
    final Random random;
    final ArrayDeque<Transmit> out = new ArrayDeque<>();
    final ArrayDeque<PeerEvent> events = new ArrayDeque<>();
    /** Next id for an extra socket (probes from fresh sockets, birthday punching). */
    private int nextSocket = 1;

    AgentContext(PeerConfig config, Random random) {
        this.config = config;
        this.random = random;
    }

    /** A new extra socket's id. */
    int newSocket() {
        return nextSocket++;
    }

    /** The id the next extra socket would get. */
    int peekSocket() {
        return nextSocket;
    }

    /** Hands out {@code n} socket ids from {@link #peekSocket()} on. */
    void takeSockets(int n) {
        nextSocket += n;
    }

    /** Tells the driver it may close these extra sockets. */
    void release(List<Integer> sockets) {
        events.add(new PeerEvent.SocketsReleased(sockets));
    }
}
