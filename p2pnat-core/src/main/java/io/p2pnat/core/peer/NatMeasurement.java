package io.p2pnat.core.peer;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.discovery.PortAllocation;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * What a peer measures of its own NAT against the server: the mapping (a Binding to the
 * server's other address or alternate port, RFC 5780 §4.3), the port allocation and, for a
 * sequential NAT, the counter's position (Bindings from fresh sockets, RFC 5128 §3.5), and the
 * filtering (RFC 5780 §4.4). It reports changes to the driver and, through keepalives, to the
 * server, whose introductions carry them to the peers.
 */
final class NatMeasurement {
    /** How far a sequential NAT's counter may plausibly move between two of our observations. */
    private static final int MAX_COUNTER_ADVANCE = 4096;
    /**
     * How far the counter may move between the two classifying mappings and the confirming third,
     * made a round trip later (in steps): a random NAT lands there once in 250 or so.
     */
    private static final int CONFIRM_STEPS = 16;

    private final AgentContext ctx;
    private final ServerLink link;
    private Sessions sessions;
    private final MappingProbe mappingProbe = new MappingProbe();
    /** Reads a sequential NAT's counter from a fresh socket (see {@link #remeasureLastPort}). */
    private final MappingProbe portProbe = new MappingProbe();
    /** Our NAT's filtering (RFC 5780 §4.4), measured once the mapping is known to be endpoint-independent. */
    private final FilteringProbe filteringProbe = new FilteringProbe();
    private MappingBehaviour mapping = MappingBehaviour.UNKNOWN;
    private NatProfile profile = NatProfile.UNMEASURED;
    private FilteringBehaviour filtering = FilteringBehaviour.UNKNOWN;
    private PeerEvent.NatMeasured reported;
    /** Registered, but the event waits for the mapping probe (so the first dial carries the profile). */
    private InetSocketAddress pendingRegistered;
    /** The classification saw a sequence ({@link #unconfirmed}); a third mapping is on its way to confirm it. */
    private boolean confirmingSequence;
    private NatProfile unconfirmed;

    NatMeasurement(AgentContext ctx, ServerLink link) {
        this.ctx = ctx;
        this.link = link;
    }

    void attach(Sessions sessions) {
        this.sessions = sessions;
    }

    MappingBehaviour mapping() {
        return mapping;
    }

    NatProfile profile() {
        return profile;
    }

    FilteringBehaviour filtering() {
        return filtering;
    }

    /** Our NAT's profile for a request to the server: NAT-MAPPING, NAT-ALLOCATION, and NAT-FILTERING once measured. */
    void addReport(StunMessage.Builder b) {
        b.addByte(Signaling.ATTR_NAT_MAPPING, mapping.code())
                .addAttribute(StunAttributeType.NAT_ALLOCATION, profile.encodeAllocation());
        if (filtering != FilteringBehaviour.UNKNOWN) {
            b.addByte(Signaling.ATTR_NAT_FILTERING, filtering.code());
        }
    }

    /** Tells the driver what we know of our NAT, when it differs from what it was last told. */
    void report() {
        InetSocketAddress pub = link.publicEndpoint();
        if (pub == null) {
            return;
        }
        PeerEvent.NatMeasured now = new PeerEvent.NatMeasured(!ctx.config.privateEndpoints().contains(pub),
                new NatProfile(profile.mapping(), profile.allocation(), profile.delta(), 0), filtering);
        if (!now.equals(reported)) {
            reported = now;
            ctx.events.add(now);
        }
    }

    /**
     * The server accepted our registration at {@code mapped}; {@code other}, {@code altPort}: what
     * it has for behaviour tests (null, 0: none). True when a mapping probe went out, so that
     * {@link PeerEvent.Registered} waits for the classification.
     */
    boolean onRegistered(long now, InetSocketAddress mapped, InetSocketAddress other, int altPort) {
        if (ctx.config.privateEndpoints().contains(mapped)) {
            profile = new NatProfile(MappingBehaviour.ENDPOINT_INDEPENDENT, PortAllocation.PRESERVING, 0, mapped.getPort());
            reportMapping(now, MappingBehaviour.ENDPOINT_INDEPENDENT); // not behind a NAT at all
        } else if (mapping == MappingBehaviour.UNKNOWN && (other != null || altPort > 0)) {
            // Classify before saying we are registered, so our first dial carries the profile.
            // A second server address finds address-dependent mapping too (RFC 5780 §4.3).
            InetSocketAddress probe = other != null ? other : new InetSocketAddress(ctx.config.server().getAddress(), altPort);
            mappingProbe.start(now, probe, ctx.random, ctx.out);
            pendingRegistered = mapped;
            return true;
        }
        return false;
    }

    boolean ownsMappingAnswer(StunMessage m) {
        return mappingProbe.owns(m);
    }

    void onMappingAnswer(long now, StunMessage m) {
        InetSocketAddress seen = mappingProbe.complete(m);
        InetSocketAddress pub = link.publicEndpoint();
        if (seen != null && pub != null) {
            // Same public endpoint toward two server ports: endpoint-independent (RFC 4787 §4.1);
            // else the step between the two ports tells sequential from random allocation (§4.2).
            int localPort = ctx.config.privateEndpoints().isEmpty() ? -1 : ctx.config.privateEndpoints().get(0).getPort();
            profile = seen.getAddress().equals(pub.getAddress())
                    ? NatProfile.measure(localPort, pub.getPort(), seen.getPort())
                    : new NatProfile(MappingBehaviour.DEPENDENT, PortAllocation.RANDOM, 0, seen.getPort());
            if (profile.predictable() && !portProbe.inFlight()) {
                // Two random ports fall within the sequential step of each other one time in
                // 650: then every dial would predict ports that were never going to be used,
                // and a birthday punch never start. A third mapping, from a fresh socket, must
                // continue the sequence first (see sequenceConfirmed): one more round trip
                // before we say we are registered, so that our first dial carries the result.
                // Two tries only: unanswered, the two-mapping classification stands.
                unconfirmed = profile;
                profile = new NatProfile(unconfirmed.mapping(), PortAllocation.UNKNOWN, 0, unconfirmed.lastPort());
                confirmingSequence = true;
                portProbe.start(now, ctx.config.server(), ctx.random, ctx.out, ctx.newSocket(), 2);
                mapping = profile.mapping();
                return;
            }
            reportMapping(now, profile.mapping());
            if (profile.easy()) {
                startFilteringProbe(now);
            }
        }
        releaseRegistered();
    }

    /** Says we are registered once the NAT classification finished (or gave up). */
    private void releaseRegistered() {
        if (pendingRegistered != null) {
            InetSocketAddress pub = link.publicEndpoint();
            link.registered(pub != null ? pub : pendingRegistered);
            pendingRegistered = null;
        }
    }

    private void reportMapping(long now, MappingBehaviour measured) {
        mapping = measured;
        if (profile.mapping() != measured) {
            profile = new NatProfile(measured, profile.allocation(), profile.delta(), profile.lastPort());
        }
        if (measured != MappingBehaviour.UNKNOWN) {
            link.sendKeepalive(now);
        }
    }

    /**
     * Behind an endpoint-independent NAT, its filtering decides whether a random-port peer must
     * spray (RFC 5780 §4.4 tests; see {@link FilteringProbe}). It needs the server's alternate
     * port on its own address; a second address also tells endpoint-independent filtering apart.
     */
    private void startFilteringProbe(long now) {
        if (filteringProbe.inFlight() || link.serverAltPort() == 0 || filtering != FilteringBehaviour.UNKNOWN) {
            return;
        }
        filteringProbe.start(now, ctx.config.server(), link.serverOther() != null, link.serverRttNanos(), ctx.random,
                ctx.out, ctx.newSocket());
    }

    private void filteringMeasured(long now) {
        ctx.release(List.of(filteringProbe.socket()));
        filtering = filteringProbe.result();
        report();
        if (filtering != FilteringBehaviour.UNKNOWN) {
            link.sendKeepalive(now); // so the server's next introductions carry it
        }
    }

    /** An answer on an extra socket that belongs to a probe; false if it is not a probe's. */
    boolean onProbeAnswer(long now, int socket, InetSocketAddress from, StunMessage m) {
        if (socket == portProbe.socket() && portProbe.owns(m) && from.equals(ctx.config.server())) {
            int probeSocket = portProbe.socket();
            portProbeDone(now, probeSocket, portProbe.complete(m));
            return true;
        }
        if (socket == filteringProbe.socket() && filteringProbe.owns(m)) {
            if (filteringProbe.onAnswer(m, from)) {
                filteringMeasured(now);
            }
            return true;
        }
        return false;
    }

    void onTimeout(long now) {
        if (mappingProbe.onTimeout(now, ctx.out)) {
            reportMapping(now, MappingBehaviour.UNKNOWN);
            releaseRegistered();
        }
        if (portProbe.inFlight() && portProbe.onTimeout(now, ctx.out)) {
            portProbeDone(now, portProbe.socket(), null); // unanswered: those sessions keep their first round
        }
        if (filteringProbe.onTimeout(now, ctx.out)) {
            filteringMeasured(now);
        }
    }

    long nextTimeout() {
        return Math.min(mappingProbe.nextTimeout(), Math.min(portProbe.nextTimeout(), filteringProbe.nextTimeout()));
    }

    // --- a sequential NAT's counter ----------------------------------------------------------

    /** Whether {@code a} is on our NAT's public address (as the server saw it at registration). */
    private boolean onOurNat(InetSocketAddress a) {
        InetSocketAddress pub = link.publicEndpoint();
        return a != null && pub != null && a.getAddress().equals(pub.getAddress());
    }

    /**
     * The counter-step check: if our NAT is sequential and {@code port} lies 1 to {@code maxStep}
     * steps (in the direction it counts) past the last port we know it handed out, that port is
     * now the last one. True when the profile moved on.
     */
    private boolean counterMovedTo(int port, long maxStep) {
        NatProfile p = profile;
        if (!p.predictable()) {
            return false;
        }
        long step = (long) (port - p.lastPort()) * Integer.signum(p.delta());
        if (step > 0 && step <= maxStep) {
            profile = new NatProfile(p.mapping(), p.allocation(), p.delta(), port);
            return true;
        }
        return false;
    }

    /**
     * A sequential NAT's counter moves on with every mapping we (and others behind it) make, so
     * the last port measured at registration soon misleads a predicting peer (RFC 5128 §3.5:
     * "fragile under load"). Each new path shows the port our NAT just handed out: remember it,
     * and tell the server at once so that its next introductions carry it.
     */
    void notePortHandedOut(InetSocketAddress mapped, long now) {
        if (onOurNat(mapped) && counterMovedTo(mapped.getPort(), MAX_COUNTER_ADVANCE)) {
            link.sendKeepalive(now);
        }
    }

    /**
     * Our TCP mapping's port: many sequential NATs (and the lab's) draw TCP and UDP ports from
     * one counter, so the TCP mapping just made is now the last port handed out and predictions
     * must start after it. True when the profile moved on.
     */
    boolean noteTcpPortHandedOut(int port) {
        return counterMovedTo(port, 4L * Math.abs(profile.delta()) + 4);
    }

    /**
     * After a punch on a sequential NAT: every predicted destination we sent to took a port of
     * our NAT's counter (one per destination endpoint, or per address; the two cannot be told
     * apart from here), and a relayed session reveals none of them. A Binding to the server from
     * a fresh local socket gets a fresh mapping, whose port is the counter's next: the true last
     * port, reported at once so the server's next introductions predict from it.
     */
    void remeasureLastPort(long now) {
        if (!profile.predictable() || portProbe.inFlight() || link.publicEndpoint() == null) {
            return;
        }
        readCounter(now);
    }

    /** A Binding to the server from a fresh socket: its mapping's port is the counter's next. */
    private void readCounter(long now) {
        portProbe.start(now, ctx.config.server(), ctx.random, ctx.out, ctx.newSocket());
    }

    /** The port probe answered ({@code seen}) or gave up (null). */
    private void portProbeDone(long now, int socket, InetSocketAddress seen) {
        ctx.release(List.of(socket));
        if (confirmingSequence) {
            sequenceConfirmed(now, seen);
            return;
        }
        sessions.ownCounterRead(now, onOurNat(seen)
                ? new NatProfile(profile.mapping(), profile.allocation(), profile.delta(), seen.getPort()) : null);
        notePortHandedOut(seen, now);
        startQueuedFreshReading(now);
    }

    /**
     * The third mapping ({@code seen}; null: the probe went unanswered) continues the sequence,
     * or the NAT allocates at random after all. Then the classification is reported.
     */
    private void sequenceConfirmed(long now, InetSocketAddress seen) {
        confirmingSequence = false;
        profile = unconfirmed; // unanswered: keep the two-mapping classification
        if (onOurNat(seen) && !counterMovedTo(seen.getPort(), (long) CONFIRM_STEPS * Math.abs(profile.delta()))) {
            profile = new NatProfile(MappingBehaviour.DEPENDENT, PortAllocation.RANDOM, 0, seen.getPort());
        }
        reportMapping(now, profile.mapping());
        releaseRegistered();
    }

    /**
     * RFC 5128 §3.5 with sequential NATs on both sides is all or nothing: our i-th new
     * destination must meet the peer's i-th, so the first round works only if neither counter
     * moved since the server last heard it, and a session of either peer in progress moves it by
     * a whole window. So, right after our first round, we read our counter afresh (a Binding from
     * a fresh socket; it counts that round) and tell the peer over the relay; with both readings
     * each side predicts once more ({@link HolePunch#repredict}). The probe is one at a time: a
     * session that finds it busy (another punch's reading, or the re-measurement after one) waits
     * for the next, which goes out after the busy one, so it counts this session's first round.
     */
    void startFreshReading(Session s, long now) {
        Introduction intro = s.punch.intro;
        if (!intro.localNat().predictable() || !intro.remoteNat().predictable() || intro.sameNat()
                || !ctx.config.relayFallback() || !profile.predictable() || link.publicEndpoint() == null) {
            return;
        }
        if (portProbe.inFlight()) {
            s.freshQueued = true;
            return;
        }
        s.awaitingFresh = true;
        readCounter(now);
    }

    /** The port probe is free again: sessions queued for a fresh reading get the next one. */
    private void startQueuedFreshReading(long now) {
        if (sessions.claimQueuedReadings() && !portProbe.inFlight()) {
            readCounter(now);
        }
    }
}
