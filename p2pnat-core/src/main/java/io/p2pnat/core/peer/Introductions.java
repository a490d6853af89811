package io.p2pnat.core.peer;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.PeerIds;
import io.p2pnat.core.Signaling;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.peer.PeerEvent.FailureKind;
import io.p2pnat.core.peer.ServerTransactions.Kind;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The server's introductions (RFC 5128 §3.3; for TCP, §3.4): we ask it to introduce us to a peer
 * (CONNECT) and it answers with the peer's endpoints, or it tells us a peer wants us (INTRODUCE).
 * Both carry each side's endpoints, NAT profile and identity key; this reads them into an
 * {@link Introduction}, which starts a session (UDP) or goes to the TCP layer. It rides on the
 * {@link ServerLink}'s registration and transactions.
 */
final class Introductions {
    /** Introductions for TCP remembered, so that a retransmitted one is reported once. */
    private static final int TCP_INTROS_KEPT = 1024;

    private record Dial(String target, long startedAt, long deadline, boolean tcp, String expectKey) {
    }

    private final AgentContext ctx;
    private final ServerLink link;
    private final ServerTransactions txns;
    private final Map<Long, Dial> dials = new HashMap<>();
    private NatMeasurement nat;
    private Sessions sessions;
    private InetSocketAddress tcpPublic;
    private List<InetSocketAddress> tcpPrivates = List.of();
    private final Set<Long> seenTcpIntros = new LinkedHashSet<>();

    Introductions(AgentContext ctx, ServerLink link, ServerTransactions txns) {
        this.ctx = ctx;
        this.link = link;
        this.txns = txns;
    }

    void attach(NatMeasurement nat, Sessions sessions) {
        this.nat = nat;
        this.sessions = sessions;
    }

    void setTcpEndpoints(InetSocketAddress publicEndpoint, List<InetSocketAddress> privateEndpoints) {
        this.tcpPublic = publicEndpoint;
        this.tcpPrivates = List.copyOf(privateEndpoints);
    }

    /** Dial {@code id}: asks the server to introduce us to {@code target} (a CONNECT request). */
    long dial(long now, long id, String target, long timeoutNanos, boolean tcp, String expectKey) {
        if (!PeerIds.isValid(target)) {
            ctx.events.add(new PeerEvent.DialFailed(id, FailureKind.UNKNOWN_PEER, "bad peer id '" + target + "'"));
            return id;
        }
        if (!link.isRegistered()) {
            ctx.events.add(new PeerEvent.DialFailed(id, FailureKind.NOT_REGISTERED, "not registered with the server"));
            return id;
        }
        if (tcp && tcpPublic == null) {
            ctx.events.add(new PeerEvent.DialFailed(id, FailureKind.NOT_REGISTERED, "no TCP registration with the server"));
            return id;
        }
        dials.put(id, new Dial(target, now, now + timeoutNanos, tcp, expectKey));
        TransactionId tid = TransactionId.random(ctx.random);
        StunMessage.Builder cb = StunMessage.builder(StunMethod.CONNECT, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, ctx.config.peerId())
                .addString(StunAttributeType.TARGET_ID, target);
        if (tcp) {
            cb.addByte(StunAttributeType.TRANSPORT, 1);
        }
        nat.addReport(cb); // so the target learns it even if a keepalive was lost
        byte[] req = link.sign(cb);
        txns.start(tid, Kind.CONNECT, id, req, now, Math.min(timeoutNanos, ctx.config.serverTimeout().toNanos()), ctx.out);
        return id;
    }

    /** The dial's session connected or failed: nothing more to do for it here. */
    void forgetDial(long dialId) {
        dials.remove(dialId);
    }

    /** The server did not answer dial {@code dialId}'s CONNECT request. */
    void connectUnanswered(long dialId) {
        if (dials.remove(dialId) != null) {
            ctx.events.add(new PeerEvent.DialFailed(dialId, FailureKind.SERVER_UNREACHABLE,
                    "rendezvous server " + Endpoints.format(ctx.config.server()) + " did not answer the connect request"));
        }
    }

    void onConnectAnswer(long now, StunMessage m, boolean ok, long dialId) {
        Dial dial = dials.get(dialId);
        if (dial == null) {
            return;
        }
        if (!ok) {
            dials.remove(dialId);
            int code = m.errorCode().orElse(0);
            if (code == Signaling.ERR_UNKNOWN_PEER) {
                ctx.events.add(new PeerEvent.DialFailed(dialId, FailureKind.UNKNOWN_PEER,
                        "unknown peer '" + dial.target + "': it is not registered at " + Endpoints.format(ctx.config.server())));
            } else if (code == Signaling.ERR_NOT_REGISTERED) {
                link.registerAgain(now);
                ctx.events.add(new PeerEvent.DialFailed(dialId, FailureKind.NOT_REGISTERED, "our registration expired; registering again"));
            } else {
                ctx.events.add(new PeerEvent.DialFailed(dialId, FailureKind.SERVER_REFUSED,
                        "server refused the introduction: " + code + " " + m.errorReason().orElse("")));
            }
            return;
        }
        byte[] remoteKey = m.bytes(StunAttributeType.STATIC_KEY).orElse(null);
        String keyProblem = remoteKey == null ? "peer '" + dial.target + "' has no identity key at the server"
                : dial.expectKey != null && !Identity.matches(remoteKey, dial.expectKey)
                ? "peer '" + dial.target + "' has identity key " + Identity.fingerprint(remoteKey)
                        + ", not the expected " + dial.expectKey
                : null;
        if (keyProblem != null) {
            dials.remove(dialId);
            ctx.events.add(new PeerEvent.DialFailed(dialId, FailureKind.KEY_MISMATCH, keyProblem));
            return;
        }
        Introduction intro = introduction(m, dial.target, true, dial.tcp);
        if (dial.tcp) {
            dials.remove(dialId);
            ctx.events.add(intro == null
                    ? new PeerEvent.DialFailed(dialId, FailureKind.SERVER_REFUSED, "server gave no TCP endpoints for '" + dial.target + "'")
                    : new PeerEvent.TcpIntroduced(dialId, intro, dial.startedAt, dial.deadline));
            return;
        }
        if (intro == null) {
            dials.remove(dialId);
            ctx.events.add(new PeerEvent.DialFailed(dialId, FailureKind.SERVER_REFUSED, "malformed introduction from server"));
            return;
        }
        sessions.dialed(now, intro, dialId, dial.startedAt, dial.deadline);
    }

    /** An INTRODUCE request: a peer dialed us. */
    void onIntroduce(long now, StunMessage m) {
        if (!link.fromServer(m)) {
            return;
        }
        byte[] ack = link.sign(StunMessage.builder(StunMethod.INTRODUCE, StunClass.SUCCESS_RESPONSE, m.transactionId()));
        ctx.out.add(new Transmit(ctx.config.server(), ack));
        String dialer = m.string(StunAttributeType.PEER_ID).orElse("");
        boolean tcp = m.byteValue(StunAttributeType.TRANSPORT).orElse(0) == 1;
        Introduction intro = introduction(m, dialer, false, tcp);
        if (tcp) {
            if (intro != null && firstTcpIntro(intro.introId())) {
                ctx.events.add(new PeerEvent.TcpIntroduced(-1, intro, now, now + ctx.config.listenDeadline().toNanos()));
            }
        } else if (intro != null && intro.remoteKey() != null) {
            sessions.introduced(now, intro); // not when malformed, or a dialer without an identity key
        }
    }

    private boolean firstTcpIntro(long introId) {
        boolean added = seenTcpIntros.add(introId);
        if (seenTcpIntros.size() > TCP_INTROS_KEPT) {
            seenTcpIntros.remove(seenTcpIntros.iterator().next());
        }
        return added;
    }

    /**
     * The introduction in a CONNECT answer or an INTRODUCE request, or null if malformed: the
     * peer's endpoints and ours, for UDP or (with {@code tcp}) for TCP, and both NATs' profiles.
     */
    private Introduction introduction(StunMessage m, String peerId, boolean dialer, boolean tcp) {
        byte[] id = m.bytes(StunAttributeType.INTRO_ID).orElse(null);
        byte[] key = m.bytes(StunAttributeType.INTRO_KEY).orElse(null);
        InetSocketAddress pub = m.xorAddress(tcp ? StunAttributeType.TCP_PUBLIC_ENDPOINT : StunAttributeType.PUBLIC_ENDPOINT).orElse(null);
        if (id == null || id.length != 8 || key == null || key.length < 16 || pub == null || !PeerIds.isValid(peerId)) {
            return null;
        }
        MappingBehaviour remoteMapping = MappingBehaviour.fromCode(m.byteValue(Signaling.ATTR_NAT_MAPPING)
                .orElse(MappingBehaviour.UNKNOWN.code()));
        return new Introduction(ByteBuffer.wrap(id).getLong(), key, peerId, dialer, pub,
                m.xorAddresses(tcp ? StunAttributeType.TCP_PRIVATE_ENDPOINT : StunAttributeType.PRIVATE_ENDPOINT),
                tcp ? tcpPublic : link.publicEndpoint(), tcp ? tcpPrivates : ctx.config.privateEndpoints(),
                nat.mapping(), remoteMapping, nat.profile(),
                NatProfile.decode(remoteMapping, m.bytes(StunAttributeType.NAT_ALLOCATION).orElse(null)),
                m.bytes(StunAttributeType.STATIC_KEY).orElse(null), nat.filtering(),
                FilteringBehaviour.fromCode(m.byteValue(Signaling.ATTR_NAT_FILTERING).orElse(FilteringBehaviour.UNKNOWN.code())));
    }
}
