package io.p2pnat.core.discovery;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.Timers;
import io.p2pnat.core.discovery.NatCheckResult.TcpUnsolicited;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Random;

/**
 * NAT behaviour discovery, the client of RFC 5780 §4, as a sans-I/O state machine over
 * {@link #SOCKETS} local UDP sockets (plus one TCP exchange the driver carries out). Feed it
 * datagrams and time, poll what it wants sent; when {@link #isDone()}, read {@link #result()}.
 *
 * <p>Phase 1, one request at a time so the NAT makes its mappings in a known order:
 * <ol>
 *   <li>test I (§4.3): the main socket asks the primary address; the answer's OTHER-ADDRESS (or the
 *       p2pnat ALT-PORT) says what else the server has;</li>
 *   <li>mapping tests II and III (§4.3): the main socket asks the alternate IP with the primary
 *       port, then the alternate IP and port; and the primary IP with the alternate port;</li>
 *   <li>two more sockets ask the primary address: new inside endpoints always make new mappings,
 *       which port allocation (RFC 4787 §4.2) is judged on;</li>
 *   <li>the filtering socket asks the primary address: its only hole.</li>
 * </ol>
 * Phase 2, at once: the filtering socket asks to be answered from the alternate IP and port
 * (filtering test II, §4.4) and from the alternate port (test III); hairpinning (§4.5): the main
 * socket and a second socket send a Binding request to the main socket's mapped address, and we
 * watch for it to arrive on the main socket; TCP: a Binding request with TCP-PROBE over a TCP
 * connection to the server's alternate port ({@link #pollTcpProbe}), answered with what the NAT
 * did to the server's unsolicited SYN. Answers that may never come (a filtering NAT drops them)
 * are awaited for a silence window scaled from the round trips seen in phase 1.
 */
public final class NatCheck {
    /** Socket indices. */
    public static final int MAIN = 0;
    public static final int ALLOCATION_A = 1;
    public static final int ALLOCATION_B = 2;
    public static final int FILTERING = 3;
    /** How many local UDP sockets the driver must open (index 0 is the main one). */
    public static final int SOCKETS = 4;

    /** A datagram to send from local socket {@code socket}. */
    public record Datagram(int socket, InetSocketAddress destination, byte[] payload) {}

    /** A TCP exchange for the driver: connect to {@code server}, send {@code request}, read one STUN answer. */
    public record TcpProbe(InetSocketAddress server, byte[] request) {}

    /**
     * Timing.
     *
     * @param firstRto   first retransmission timeout of a request that must be answered (doubles)
     * @param giveUp     how long such a request may stay unanswered
     * @param minSilence the least time to wait for an answer a NAT may drop
     * @param tcp        run the TCP test
     */
    public record Config(Duration firstRto, Duration giveUp, Duration minSilence, boolean tcp) {
        public static Config defaults() {
            return new Config(Duration.ofMillis(200), Duration.ofSeconds(3), Duration.ofMillis(700), true);
        }

        public Config withTcp(boolean on) {
            return new Config(firstRto, giveUp, minSilence, on);
        }
    }

    private enum Step {
        TEST_I, MAP_ALT_IP, MAP_ALT_BOTH, MAP_ALT_PORT, ALLOC_A, ALLOC_B, FILTER_BASE, FILTER_BOTH, FILTER_PORT,
        HAIRPIN_SELF, HAIRPIN_OTHER
    }

    private static final class Tx {
        Step step;
        TransactionId tid;
        int socket;
        InetSocketAddress to;
        byte[] bytes;
        ChangeRequest change;
        boolean mayFail;
        long first;
        long nextSend;
        long deadline;
        int sends;

        long due() {
            return Math.min(nextSend, deadline);
        }
    }

    private final InetSocketAddress server;
    private final List<InetSocketAddress> locals;
    private final Random random;
    private final Config config;
    private final ArrayDeque<Datagram> out = new ArrayDeque<>();
    private final Map<TransactionId, Tx> active = new HashMap<>();
    private final ArrayDeque<Tx> plan = new ArrayDeque<>();
    private final Map<Step, InetSocketAddress> mapped = new EnumMap<>(Step.class);
    private final Map<Step, Boolean> passed = new EnumMap<>(Step.class);
    private final List<Integer> newPorts = new ArrayList<>();
    private final Map<Integer, Integer> firstPublicPort = new HashMap<>();
    private final List<String> skipped = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private long begin;
    private long rttMax;
    private InetSocketAddress other;
    private int altPort;
    private boolean phase2;
    private Boolean hairpin;
    private TcpProbe tcpPending;
    private boolean tcpOutstanding;
    private TcpUnsolicited tcpResult;
    private InetSocketAddress tcpPublic;
    private String error;
    private NatCheckResult result;

    /**
     * @param server the server's primary address
     * @param locals the local endpoints of the {@link #SOCKETS} sockets (real IP, not a wildcard, so
     *               a public host is recognised), index {@link #MAIN} first
     */
    public NatCheck(InetSocketAddress server, List<InetSocketAddress> locals, Random random, Config config) {
        this.server = Objects.requireNonNull(server, "server");
        if (locals.size() != SOCKETS) {
            throw new IllegalArgumentException("need " + SOCKETS + " local endpoints, got " + locals.size());
        }
        this.locals = List.copyOf(locals);
        this.random = Objects.requireNonNull(random, "random");
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Sends test I. */
    public void start(long now) {
        begin = now;
        send(now, request(Step.TEST_I, MAIN, server, ChangeRequest.NONE, false));
    }

    /** A datagram arrived on local socket {@code socket}. */
    public void handleInput(long now, int socket, InetSocketAddress from, byte[] buf, int off, int len) {
        if (result != null || !StunMessage.looksLikeStun(buf, off, len)) {
            return;
        }
        StunMessage m;
        try {
            m = StunMessage.decode(buf, off, len);
        } catch (StunParseException e) {
            return;
        }
        if (m.method() != StunMethod.BINDING) {
            return;
        }
        Tx tx = active.get(m.transactionId());
        if (tx == null || tx.socket != socket && m.messageClass() != StunClass.REQUEST) {
            return;
        }
        if (m.messageClass() == StunClass.REQUEST) {
            // Our own hairpin request, looped back by the NAT (RFC 5780 §4.5).
            if ((tx.step == Step.HAIRPIN_SELF || tx.step == Step.HAIRPIN_OTHER) && socket == MAIN) {
                hairpin = true;
                completeHairpins();
            }
        } else if (m.messageClass() == StunClass.SUCCESS_RESPONSE) {
            onSuccess(now, tx, from, m);
        } else if (m.messageClass() == StunClass.ERROR_RESPONSE) {
            onError(now, tx, m);
        }
        finishIfDone(now);
    }

    /** Retransmits and expires requests due at {@code now}. */
    public void handleTimeout(long now) {
        if (result != null) {
            return;
        }
        for (Tx tx : new ArrayList<>(active.values())) {
            if (active.get(tx.tid) != tx) {
                continue;
            }
            if (now >= tx.deadline) {
                expire(now, tx);
            } else if (now >= tx.nextSend) {
                resend(now, tx);
            }
        }
        finishIfDone(now);
    }

    /** When {@link #handleTimeout} is next due, or {@link Timers#NEVER}. */
    public long nextTimeout() {
        long next = Timers.NEVER;
        for (Tx tx : active.values()) {
            next = Math.min(next, tx.due());
        }
        return next;
    }

    /** The next datagram to send, or null. */
    public Datagram pollTransmit() {
        return out.poll();
    }

    /** The TCP exchange to carry out, once; null if none (yet). */
    public TcpProbe pollTcpProbe() {
        TcpProbe p = tcpPending;
        tcpPending = null;
        return p;
    }

    /** The STUN answer the TCP exchange read. */
    public void handleTcpAnswer(long now, byte[] answer) {
        if (!tcpOutstanding) {
            return;
        }
        tcpOutstanding = false;
        try {
            StunMessage m = StunMessage.decode(answer);
            tcpPublic = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
            OptionalInt code = m.byteValue(DiscoveryWire.TCP_PROBE_RESULT);
            TcpProbeOutcome o = code.isEmpty() ? null : TcpProbeOutcome.ofCode(code.getAsInt());
            if (m.messageClass() != StunClass.SUCCESS_RESPONSE || o == null) {
                skipped.add("tcp");
                notes.add("the server answered over TCP but did not probe (an older server, or it lacks a second address)");
            } else {
                tcpResult = switch (o) {
                    case CONNECTED -> TcpUnsolicited.NONE;
                    case RESET -> TcpUnsolicited.RST;
                    case TIMEOUT -> TcpUnsolicited.DROP;
                    case UNREACHABLE -> TcpUnsolicited.ICMP;
                };
            }
        } catch (StunParseException e) {
            skipped.add("tcp");
            notes.add("the server's TCP answer was not STUN: " + e.getMessage());
        }
        finishIfDone(now);
    }

    /** The TCP exchange failed (connect refused, timed out, closed early). */
    public void handleTcpFailure(long now, String why) {
        if (!tcpOutstanding) {
            return;
        }
        tcpOutstanding = false;
        skipped.add("tcp");
        notes.add("TCP test failed: " + why);
        finishIfDone(now);
    }

    public boolean isDone() {
        return result != null;
    }

    /** The findings; null until {@link #isDone()}. */
    public NatCheckResult result() {
        return result;
    }

    // ---- transactions

    private Tx request(Step step, int socket, InetSocketAddress to, ChangeRequest change, boolean mayFail) {
        Tx tx = new Tx();
        tx.step = step;
        tx.socket = socket;
        tx.to = to;
        tx.change = change;
        tx.mayFail = mayFail;
        tx.tid = TransactionId.random(random);
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, tx.tid);
        if (change != null) {
            b.addUint32(StunAttributeType.CHANGE_REQUEST, change.value());
        }
        // Padded up to the largest answer (IPv6 XOR-MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS,
        // FINGERPRINT), so the server's amplification budget never holds back our burst of tests.
        tx.bytes = DiscoveryWire.padded(b);
        return tx;
    }

    private void send(long now, Tx tx) {
        active.put(tx.tid, tx);
        tx.first = now;
        tx.sends = 1;
        tx.deadline = now + (tx.mayFail ? silence() : config.giveUp().toNanos());
        tx.nextSend = now + (tx.mayFail ? interval() : config.firstRto().toNanos());
        out.add(new Datagram(tx.socket, tx.to, tx.bytes));
    }

    private void resend(long now, Tx tx) {
        tx.sends++;
        long wait = tx.mayFail ? interval() : config.firstRto().toNanos() << Math.min(tx.sends - 1, 4);
        tx.nextSend = now + wait;
        out.add(new Datagram(tx.socket, tx.to, tx.bytes));
    }

    private long silence() {
        return Math.max(config.minSilence().toNanos(), 4 * rttMax + 100_000_000L);
    }

    private long interval() {
        return Math.max(100_000_000L, 2 * rttMax);
    }

    private void remove(Tx tx) {
        active.remove(tx.tid);
    }

    private void onSuccess(long now, Tx tx, InetSocketAddress from, StunMessage m) {
        if (tx.step == Step.HAIRPIN_SELF || tx.step == Step.HAIRPIN_OTHER) {
            return; // someone answered our hairpin request: not the loop we look for
        }
        remove(tx);
        if (tx.sends == 1) {
            rttMax = Math.max(rttMax, now - tx.first);
        }
        InetSocketAddress mappedAddr = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS)
                .or(() -> m.address(StunAttributeType.MAPPED_ADDRESS)).orElse(null);
        switch (tx.step) {
            case FILTER_BOTH, FILTER_PORT -> {
                InetSocketAddress expected = tx.step == Step.FILTER_BOTH ? other : new InetSocketAddress(server.getAddress(), altPort);
                if (from.equals(expected)) {
                    passed.put(tx.step, true);
                } else {
                    notes.add("the server answered a CHANGE-REQUEST from " + Endpoints.format(from) + " instead of "
                            + Endpoints.format(expected) + ": it did not honour it");
                }
            }
            default -> {
                if (mappedAddr == null) {
                    notes.add("answer from " + Endpoints.format(from) + " without a mapped address");
                } else {
                    recordMapping(tx, mappedAddr);
                }
                if (tx.step == Step.TEST_I) {
                    if (mappedAddr == null) {
                        error = "the server's Binding answer carried no mapped address";
                        return;
                    }
                    planPhase1(m);
                }
                next(now);
            }
        }
    }

    private void onError(long now, Tx tx, StunMessage m) {
        remove(tx);
        int code = m.errorCode().orElse(0);
        if (tx.step == Step.TEST_I && tx.change != null) {
            // A STUN server that does not know CHANGE-REQUEST (RFC 8489 §6.3.1.1: 420): plain test I.
            notes.add("the server does not support RFC 5780 (error " + code + " to CHANGE-REQUEST)");
            send(now, request(Step.TEST_I, MAIN, server, null, false));
            return;
        }
        if (tx.step == Step.FILTER_BOTH || tx.step == Step.FILTER_PORT) {
            skipped.add(tx.step == Step.FILTER_BOTH ? "filtering-ip" : "filtering-port");
            notes.add("the server refused to answer from another " + (tx.step == Step.FILTER_BOTH ? "address" : "port")
                    + " (error " + code + ")");
            return;
        }
        if (tx.step == Step.TEST_I) {
            error = "the server answered test I with error " + code + m.errorReason().map(r -> " " + r).orElse("");
            return;
        }
        notes.add("error " + code + " from " + Endpoints.format(tx.to));
        next(now);
    }

    private void expire(long now, Tx tx) {
        remove(tx);
        switch (tx.step) {
            case FILTER_BOTH, FILTER_PORT -> passed.put(tx.step, false);
            case HAIRPIN_SELF, HAIRPIN_OTHER -> {
                if (hairpin == null && !hasHairpinTx()) {
                    hairpin = false;
                }
            }
            case TEST_I -> error = "no answer from " + Endpoints.format(server) + " within "
                    + Timers.seconds(config.giveUp().toNanos()) + " s: the server is down or UDP is blocked";
            default -> {
                notes.add("no answer from " + Endpoints.format(tx.to) + " (" + tx.step + ")");
                next(now);
            }
        }
    }

    private boolean hasHairpinTx() {
        return active.values().stream().anyMatch(t -> t.step == Step.HAIRPIN_SELF || t.step == Step.HAIRPIN_OTHER);
    }

    private void completeHairpins() {
        active.values().removeIf(t -> t.step == Step.HAIRPIN_SELF || t.step == Step.HAIRPIN_OTHER);
    }

    private void recordMapping(Tx tx, InetSocketAddress m) {
        mapped.put(tx.step, m);
        firstPublicPort.putIfAbsent(tx.socket, m.getPort());
        boolean fresh = mapped.entrySet().stream()
                .noneMatch(e -> e.getKey() != tx.step && e.getValue().equals(m));
        if (fresh) {
            newPorts.add(m.getPort());
        }
    }

    // ---- the plan

    private void planPhase1(StunMessage testI) {
        other = testI.address(StunAttributeType.OTHER_ADDRESS).orElse(null);
        if (other != null && (other.getAddress().equals(server.getAddress()) || other.getPort() == server.getPort())) {
            notes.add("the server's OTHER-ADDRESS " + Endpoints.format(other) + " does not differ in both address and port; ignored");
            other = null;
        }
        altPort = other != null ? other.getPort()
                : (int) testI.uint32(StunAttributeType.ALT_PORT).orElse(0);
        if (altPort == server.getPort() || altPort > 65535) {
            altPort = 0;
        }
        if (other != null) {
            plan.add(request(Step.MAP_ALT_IP, MAIN, new InetSocketAddress(other.getAddress(), server.getPort()), ChangeRequest.NONE, false));
            plan.add(request(Step.MAP_ALT_BOTH, MAIN, other, ChangeRequest.NONE, false));
        } else {
            skipped.add("mapping-ip");
        }
        if (altPort != 0) {
            plan.add(request(Step.MAP_ALT_PORT, MAIN, new InetSocketAddress(server.getAddress(), altPort), ChangeRequest.NONE, false));
        } else {
            skipped.add("mapping-port");
        }
        plan.add(request(Step.ALLOC_A, ALLOCATION_A, server, ChangeRequest.NONE, false));
        plan.add(request(Step.ALLOC_B, ALLOCATION_B, server, ChangeRequest.NONE, false));
        plan.add(request(Step.FILTER_BASE, FILTERING, server, ChangeRequest.NONE, false));
    }

    private void next(long now) {
        if (error != null || phase2) {
            return;
        }
        Tx tx = plan.poll();
        if (tx != null) {
            send(now, tx);
            return;
        }
        startPhase2(now);
    }

    private void startPhase2(long now) {
        phase2 = true;
        InetSocketAddress pub = mapped.get(Step.TEST_I);
        if (mapped.get(Step.FILTER_BASE) == null) {
            skipped.add("filtering-ip");
            skipped.add("filtering-port");
            notes.add("the filtering socket got no answer, so filtering was not tested");
        } else {
            if (other != null) {
                send(now, request(Step.FILTER_BOTH, FILTERING, server, ChangeRequest.IP_AND_PORT, true));
            } else {
                skipped.add("filtering-ip");
            }
            if (altPort != 0) {
                send(now, request(Step.FILTER_PORT, FILTERING, server, ChangeRequest.PORT, true));
            } else {
                skipped.add("filtering-port");
            }
        }
        if (natDetected()) {
            send(now, request(Step.HAIRPIN_SELF, MAIN, pub, null, true));
            send(now, request(Step.HAIRPIN_OTHER, ALLOCATION_A, pub, null, true));
        }
        if (config.tcp() && other != null) {
            byte[] req = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(random))
                    .addAttribute(DiscoveryWire.TCP_PROBE, new byte[0]).build().encode(null, true);
            tcpPending = new TcpProbe(new InetSocketAddress(server.getAddress(), altPort), req);
            tcpOutstanding = true;
        } else if (config.tcp()) {
            skipped.add("tcp");
        }
    }

    private boolean natDetected() {
        InetSocketAddress pub = mapped.get(Step.TEST_I);
        return pub != null && !pub.equals(locals.get(MAIN));
    }

    private void finishIfDone(long now) {
        if (result != null) {
            return;
        }
        boolean done = error != null || (phase2 && active.isEmpty() && !tcpOutstanding && tcpPending == null);
        if (done) {
            result = build(now);
            active.clear();
        }
    }

    private NatCheckResult build(long now) {
        InetSocketAddress pub = mapped.get(Step.TEST_I);
        if (error != null) {
            return new NatCheckResult(server, other, locals.get(MAIN), pub, false, MappingBehaviour.UNKNOWN,
                    FilteringBehaviour.UNKNOWN, null, PortAllocation.UNKNOWN, null, List.of(), null, null,
                    NatCheckResult.HolePunching.UNKNOWN, List.of("all"), notes, now - begin, error);
        }
        boolean nat = natDetected();
        MappingBehaviour mapping = NatClassifier.mapping(pub, mapped.get(Step.MAP_ALT_IP),
                mapped.get(Step.MAP_ALT_BOTH), mapped.get(Step.MAP_ALT_PORT), notes);
        FilteringBehaviour filtering = NatClassifier.filtering(passed.get(Step.FILTER_BOTH), passed.get(Step.FILTER_PORT),
                notes);
        List<NatClassifier.FirstMapping> firsts = new ArrayList<>();
        for (int i = 0; i < SOCKETS; i++) {
            firsts.add(new NatClassifier.FirstMapping(locals.get(i).getPort(), firstPublicPort.get(i)));
        }
        Map.Entry<PortAllocation, Integer> alloc = NatClassifier.allocation(firsts, newPorts);
        if (!nat) {
            notes.add("no NAT: the server sees the local endpoint " + Endpoints.format(locals.get(MAIN)));
        }
        return new NatCheckResult(server, other, locals.get(MAIN), pub, nat, mapping, filtering, nat ? hairpin : null,
                alloc.getKey(), alloc.getKey() == PortAllocation.SEQUENTIAL ? alloc.getValue() : null, newPorts,
                tcpResult, tcpPublic, NatClassifier.verdict(nat, mapping, filtering, alloc.getKey()),
                skipped.stream().distinct().toList(), notes, now - begin, null);
    }
}
