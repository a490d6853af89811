package io.p2pnat.core.rendezvous;

import io.p2pnat.core.PeerIds;
import io.p2pnat.core.Signaling;
import io.p2pnat.core.Timers;
import io.p2pnat.core.stream.StreamFramer;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The TCP side of the rendezvous service (docs/protocol.md "TCP", RFC 5128 §3.4 and §3.1):
 * STUN over TCP framed by the length field (RFC 8489 §6.2.2), TCP REGISTER and KEEPALIVE, and
 * RELAY-ATTACH pairing two connections of one introduction into a splice.
 *
 * <p>RFC 5128 §6.2: a connection that has not authenticated holds a 20-byte header buffer (at
 * most one message of {@link StreamFramer#MAX_SIGNALING_MESSAGE} bytes while it arrives), counts
 * against {@link StreamConfig#maxPendingConnections}, and is closed after
 * {@link StreamConfig#handshakeTimeout}; anything that is not STUN closes it at once. A TCP
 * REGISTER needs the peer's UDP registration (that proved the UDP return route; the TCP handshake
 * proves this one) and its session key. One TCP registration per peer: a newer one closes the
 * older connection. Answers before authentication (Binding, 437) are not metered: the TCP
 * handshake proved the source address (no one can be made a victim of a reflection), and the
 * pending-connection quota and handshake timeout bound what a stranger gets.
 */
final class StreamSessions {
    /** Error: the attaching peer is not one of the introduction's two. */
    static final int ERR_FORBIDDEN = 403;
    /** Error: no relay binding for that introduction (never made, or expired). */
    static final int ERR_UNKNOWN_INTRODUCTION = 404;

    private record Deadline(long at, long connId) {
    }

    /** The two connections attached to one introduction so far. */
    private static final class Pairing {
        StreamConnection dialer;
        StreamConnection target;
    }

    private final RendezvousConfig config;
    private final StreamConfig limits;
    private final RegistrationTable registrations;
    private final RelayTable relays;
    private final RendezvousStats stats;
    private final Map<Long, StreamConnection> conns = new HashMap<>();
    private final Map<String, Long> registeredByPeer = new HashMap<>();
    private final Map<Long, Pairing> pairings = new HashMap<>();
    private final ArrayDeque<StreamCommand> out = new ArrayDeque<>();
    private final PriorityQueue<Deadline> deadlines = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
    private int pending;

    StreamSessions(RendezvousConfig config, StreamConfig limits, RegistrationTable registrations,
                   RelayTable relays, RendezvousStats stats) {
        this.config = config;
        this.limits = limits;
        this.registrations = registrations;
        this.relays = relays;
        this.stats = stats;
    }

    // --- driver events --------------------------------------------------------------------

    void opened(long now, long connId, InetSocketAddress remote) {
        if (conns.containsKey(connId)) {
            throw new IllegalStateException("connection " + connId + " is already open");
        }
        if (pending >= limits.maxPendingConnections()) {
            stats.dropped++;
            out.add(new StreamCommand.Close(connId));
            return;
        }
        StreamConnection c = new StreamConnection(connId, remote);
        conns.put(connId, c);
        pending++;
        setDeadline(c, now + limits.handshakeTimeout().toNanos());
    }

    void data(long now, long connId, byte[] buf, int off, int len) {
        StreamConnection c = conns.get(connId);
        if (c == null) {
            return; // closed by us, spliced, or never opened
        }
        int pos = off;
        int end = off + len;
        while (pos < end && conns.get(connId) == c) {
            if (c.state == StreamConnection.State.ATTACHED) {
                if (!c.hold(buf, pos, end - pos)) {
                    stats.dropped++;
                    close(c);
                }
                break;
            }
            pos += c.framer.take(buf, pos, end - pos);
            byte[] message;
            try {
                message = c.framer.next();
            } catch (StreamFramer.StreamFormatException e) {
                stats.dropped++;
                close(c);
                return;
            }
            if (message != null) {
                onMessage(now, c, message);
            }
        }
        if (conns.get(connId) == c && c.state == StreamConnection.State.ATTACHED) {
            tryPair(c.introId);
        }
    }

    void closed(long connId) {
        StreamConnection c = conns.get(connId);
        if (c != null) {
            forget(c);
        }
    }

    StreamCommand poll() {
        return out.poll();
    }

    void handleTimeout(long now) {
        while (!deadlines.isEmpty() && deadlines.peek().at <= now) {
            Deadline d = deadlines.poll();
            StreamConnection c = conns.get(d.connId);
            if (c != null && c.deadline <= now) {
                close(c);
            }
        }
        if (deadlines.size() > 4 * conns.size() + 1024) {
            deadlines.clear();
            conns.values().forEach(c -> deadlines.add(new Deadline(c.deadline, c.id)));
        }
    }

    long nextTimeout() {
        // Drop stale heads (closed or extended connections) so the answer is exact.
        while (!deadlines.isEmpty()) {
            Deadline d = deadlines.peek();
            StreamConnection c = conns.get(d.connId);
            if (c != null && c.deadline == d.at) {
                return d.at;
            }
            deadlines.poll();
        }
        return Timers.NEVER;
    }

    int size() {
        return conns.size();
    }

    int pendingCount() {
        return pending;
    }

    /**
     * A peer (re-)registered over UDP: if its TCP registration connection is still open, the new
     * registration keeps its TCP endpoints (the connection's keepalives must then verify under the
     * new session key, or it is closed).
     */
    void onUdpRegistration(Registration r) {
        Long id = registeredByPeer.get(r.peerId);
        StreamConnection c = id == null ? null : conns.get(id);
        if (c != null) {
            record(r, c);
        }
    }

    /** Adds the TCP endpoints of a TCP-registered peer: TCP-PUBLIC-ENDPOINT, TCP-PRIVATE-ENDPOINT*. */
    static void addTcpEndpoints(StunMessage.Builder b, Registration r) {
        b.addXorAddress(StunAttributeType.TCP_PUBLIC_ENDPOINT, r.tcpPublic);
        for (InetSocketAddress p : r.tcpPrivates) {
            b.addXorAddress(StunAttributeType.TCP_PRIVATE_ENDPOINT, p);
        }
    }

    // --- messages -------------------------------------------------------------------------

    private void onMessage(long now, StreamConnection c, byte[] bytes) {
        StunMessage m;
        try {
            m = StunMessage.decode(bytes);
        } catch (StunParseException e) {
            stats.dropped++;
            close(c);
            return;
        }
        if (m.messageClass() != StunClass.REQUEST) {
            stats.dropped++;
            return;
        }
        switch (m.method()) {
            case StunMethod.BINDING -> onBinding(now, c, m, bytes.length);
            case StunMethod.REGISTER -> onRegister(now, c, m, bytes.length);
            case StunMethod.KEEPALIVE -> onKeepalive(now, c, m, bytes.length);
            case StunMethod.RELAY_ATTACH -> onAttach(now, c, m, bytes.length);
            default -> stats.dropped++;
        }
    }

    private void onBinding(long now, StreamConnection c, StunMessage m, int requestLen) {
        stats.bindings++;
        byte[] answer = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, c.remote)
                .build().encode(null, m.has(StunAttributeType.FINGERPRINT));
        write(c, answer);
    }

    private void onRegister(long now, StreamConnection c, StunMessage m, int requestLen) {
        Registration r = authenticate(now, c, m, requestLen);
        if (r == null) {
            return;
        }
        List<InetSocketAddress> privates = m.xorAddresses(StunAttributeType.TCP_PRIVATE_ENDPOINT);
        if (privates.size() > Signaling.MAX_PRIVATE_ENDPOINTS) {
            replyError(c, m, r, Signaling.ERR_BAD_REQUEST, "too many endpoints");
            return;
        }
        if (c.state == StreamConnection.State.REGISTERED && !c.peerId.equals(r.peerId)) {
            replyError(c, m, r, Signaling.ERR_BAD_REQUEST, "connection of another peer");
            return;
        }
        Long olderId = registeredByPeer.get(r.peerId);
        StreamConnection older = olderId == null ? null : conns.get(olderId);
        if (older != null && older != c) {
            close(older);
        }
        if (c.state == StreamConnection.State.PENDING) {
            pending--;
        }
        c.state = StreamConnection.State.REGISTERED;
        c.peerId = r.peerId;
        c.privates = privates;
        registeredByPeer.put(r.peerId, c.id);
        record(r, c);
        long lifetime = config.registrationLifetime().toNanos();
        registrations.refresh(r, now + lifetime);
        setDeadline(c, now + lifetime);
        stats.tcpRegistrations++;
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, c.remote)
                .addUint32(StunAttributeType.LIFETIME_SECONDS, config.registrationLifetime().toSeconds());
        if (config.software() != null) {
            b.addString(StunAttributeType.SOFTWARE, config.software());
        }
        write(c, b.build().encode(r.sessionKey, true));
    }

    private void onKeepalive(long now, StreamConnection c, StunMessage m, int requestLen) {
        Registration r = authenticate(now, c, m, requestLen);
        if (r == null) {
            return;
        }
        if (c.state != StreamConnection.State.REGISTERED || !c.peerId.equals(r.peerId)) {
            replyError(c, m, r, Signaling.ERR_BAD_REQUEST, "no TCP registration here");
            return;
        }
        if (r.tcpPublic == null) {
            record(r, c);
        }
        long lifetime = config.registrationLifetime().toNanos();
        registrations.refresh(r, now + lifetime);
        setDeadline(c, now + lifetime);
        write(c, StunMessage.builder(StunMethod.KEEPALIVE, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, c.remote)
                .build().encode(r.sessionKey, true));
    }

    private void onAttach(long now, StreamConnection c, StunMessage m, int requestLen) {
        Registration r = authenticate(now, c, m, requestLen);
        if (r == null) {
            return;
        }
        if (c.state != StreamConnection.State.PENDING) {
            replyError(c, m, r, Signaling.ERR_BAD_REQUEST, "attach on a new connection");
            return;
        }
        byte[] idBytes = m.bytes(StunAttributeType.INTRO_ID).orElse(null);
        if (idBytes == null || idBytes.length != 8) {
            replyError(c, m, r, Signaling.ERR_BAD_REQUEST, "bad intro id");
            return;
        }
        long introId = ByteBuffer.wrap(idBytes).getLong();
        RelayTable.Binding b = relays.get(introId);
        if (b == null) {
            replyError(c, m, r, ERR_UNKNOWN_INTRODUCTION, "unknown introduction");
            return;
        }
        boolean dialer = r.peerId.equals(b.dialer);
        if (!dialer && !r.peerId.equals(b.target)) {
            replyError(c, m, r, ERR_FORBIDDEN, "not your introduction");
            return;
        }
        b.touch(now);
        Pairing p = pairings.get(introId);
        StreamConnection older = p == null ? null : dialer ? p.dialer : p.target;
        if (older != null) {
            close(older); // a retry replaces the older attach
        }
        p = pairings.computeIfAbsent(introId, k -> new Pairing());
        if (dialer) {
            p.dialer = c;
        } else {
            p.target = c;
        }
        pending--;
        c.state = StreamConnection.State.ATTACHED;
        c.peerId = r.peerId;
        c.introId = introId;
        c.attachKey = r.sessionKey;
        c.attachTransaction = m.transactionId();
        setDeadline(c, now + limits.attachTimeout().toNanos());
    }

    /** When both peers of the introduction are attached: answer both, then splice them. */
    private void tryPair(long introId) {
        Pairing p = pairings.get(introId);
        if (p == null || p.dialer == null || p.target == null) {
            return;
        }
        pairings.remove(introId);
        StreamConnection a = p.dialer;
        StreamConnection t = p.target;
        conns.remove(a.id);
        conns.remove(t.id);
        write(a, attached(a));
        write(t, attached(t));
        byte[] fromA = a.early();
        byte[] fromT = t.early();
        if (fromA != null) {
            write(t, fromA);
        }
        if (fromT != null) {
            write(a, fromT);
        }
        stats.relayedStreams++;
        out.add(new StreamCommand.Splice(a.id, t.id));
    }

    private static byte[] attached(StreamConnection c) {
        return StunMessage.builder(StunMethod.RELAY_ATTACH, StunClass.SUCCESS_RESPONSE, c.attachTransaction)
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, c.remote)
                .build().encode(c.attachKey, true);
    }

    // --- helpers --------------------------------------------------------------------------

    /**
     * The sender's UDP registration if the message verifies under its session key. Unknown or
     * expired peers get an unsigned 437 (register first); a bad MESSAGE-INTEGRITY closes the
     * connection (§6.1: nothing more for a sender that cannot prove the key).
     */
    private Registration authenticate(long now, StreamConnection c, StunMessage m, int requestLen) {
        String peerId = m.string(StunAttributeType.PEER_ID).orElse(null);
        Registration r = PeerIds.isValid(peerId) ? registrations.get(peerId) : null;
        if (r == null) {
            byte[] error = StunMessage.builder(m.method(), StunClass.ERROR_RESPONSE, m.transactionId())
                    .addErrorCode(Signaling.ERR_NOT_REGISTERED, "register").build().encode();
            write(c, error);
            return null;
        }
        if (!m.checkIntegrity(r.sessionKey)) {
            stats.dropped++;
            close(c);
            return null;
        }
        return r;
    }

    private void replyError(StreamConnection c, StunMessage req, Registration r, int code, String reason) {
        write(c, StunMessage.builder(req.method(), StunClass.ERROR_RESPONSE, req.transactionId())
                .addErrorCode(code, reason).build().encode(r.sessionKey, true));
    }

    private static void record(Registration r, StreamConnection c) {
        r.tcpPublic = c.remote;
        r.tcpPrivates = c.privates;
        r.tcpConnId = c.id;
    }

    private void write(StreamConnection c, byte[] bytes) {
        out.add(new StreamCommand.Write(c.id, bytes));
    }

    private void setDeadline(StreamConnection c, long at) {
        c.deadline = at;
        deadlines.add(new Deadline(at, c.id));
    }

    private void close(StreamConnection c) {
        forget(c);
        out.add(new StreamCommand.Close(c.id));
    }

    /** Drops every trace of a connection: counters, TCP endpoints it carried, its attach. */
    private void forget(StreamConnection c) {
        conns.remove(c.id);
        switch (c.state) {
            case PENDING -> pending--;
            case REGISTERED -> {
                registeredByPeer.remove(c.peerId, c.id);
                Registration r = registrations.get(c.peerId);
                if (r != null && r.tcpPublic != null && r.tcpConnId == c.id) {
                    r.tcpPublic = null;
                    r.tcpPrivates = List.of();
                }
            }
            case ATTACHED -> {
                Pairing p = pairings.get(c.introId);
                if (p != null) {
                    if (p.dialer == c) {
                        p.dialer = null;
                    }
                    if (p.target == c) {
                        p.target = null;
                    }
                    if (p.dialer == null && p.target == null) {
                        pairings.remove(c.introId);
                    }
                }
            }
        }
    }
}
