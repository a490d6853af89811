package io.p2pnat.core.discovery;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.Timers;
import io.p2pnat.core.discovery.BindingTransactions.Tx;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
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
 *
 * <p>This class reacts to answers and silence; {@link TestPlan} says what is sent when,
 * {@link BindingTransactions} retransmits, {@link TcpProbeExchange} runs the TCP test, and
 * {@link NatCheckFindings} keeps what was seen and builds the result.
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

    private final InetSocketAddress server;
    private final List<InetSocketAddress> locals;
    private final Config config;
    private final BindingTransactions transactions;
    private final NatCheckFindings findings = new NatCheckFindings();
    private final TcpProbeExchange tcp = new TcpProbeExchange(findings);
    private final TestPlan plan;
    private long begin;
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
        Objects.requireNonNull(random, "random");
        this.config = Objects.requireNonNull(config, "config");
        this.transactions = new BindingTransactions(random, config);
        this.plan = new TestPlan(server, this.locals.get(MAIN), config.tcp(), random, transactions, findings, tcp);
    }

    /** Sends test I. */
    public void start(long now) {
        begin = now;
        plan.testI(now, ChangeRequest.NONE);
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
        Tx tx = transactions.get(m.transactionId());
        if (tx == null || tx.socket != socket && m.messageClass() != StunClass.REQUEST) {
            return;
        }
        if (m.messageClass() == StunClass.REQUEST) {
            // Our own hairpin request, looped back by the NAT (RFC 5780 §4.5).
            if (tx.test.hairpin() && socket == MAIN) {
                findings.hairpin = true;
                transactions.completeHairpins();
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
        transactions.handleTimeout(now, tx -> expired(now, tx));
        finishIfDone(now);
    }

    /** When {@link #handleTimeout} is next due, or {@link Timers#NEVER}. */
    public long nextTimeout() {
        return transactions.nextTimeout();
    }

    /** The next datagram to send, or null. */
    public Datagram pollTransmit() {
        return transactions.poll();
    }

    /** The TCP exchange to carry out, once; null if none (yet). */
    public TcpProbe pollTcpProbe() {
        return tcp.poll();
    }

    /** The STUN answer the TCP exchange read. */
    public void handleTcpAnswer(long now, byte[] answer) {
        if (tcp.answered(answer)) {
            finishIfDone(now);
        }
    }

    /** The TCP exchange failed (connect refused, timed out, closed early). */
    public void handleTcpFailure(long now, String why) {
        if (tcp.failed(why)) {
            finishIfDone(now);
        }
    }

    public boolean isDone() {
        return result != null;
    }

    /** The findings; null until {@link #isDone()}. */
    public NatCheckResult result() {
        return result;
    }

    // ---- answers and silence

    private void onSuccess(long now, Tx tx, InetSocketAddress from, StunMessage m) {
        if (tx.test.hairpin()) {
            return; // someone answered our hairpin request: not the loop we look for
        }
        transactions.answered(now, tx);
        InetSocketAddress mappedAddr = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS)
                .or(() -> m.address(StunAttributeType.MAPPED_ADDRESS)).orElse(null);
        if (tx.test.filteringChange()) {
            InetSocketAddress expected = tx.test == NatTest.FILTER_BOTH ? plan.other()
                    : new InetSocketAddress(server.getAddress(), plan.altPort());
            if (from.equals(expected)) {
                findings.passed.put(tx.test, true);
            } else {
                findings.notes.add("the server answered a CHANGE-REQUEST from " + Endpoints.format(from) + " instead of "
                        + Endpoints.format(expected) + ": it did not honour it");
            }
            return;
        }
        if (mappedAddr == null) {
            findings.notes.add("answer from " + Endpoints.format(from) + " without a mapped address");
        } else {
            findings.recordMapping(tx.test, tx.socket, mappedAddr);
        }
        if (tx.test == NatTest.TEST_I) {
            if (mappedAddr == null) {
                findings.error = "the server's Binding answer carried no mapped address";
                return;
            }
            plan.planPhase1(m);
        }
        plan.next(now);
    }

    private void onError(long now, Tx tx, StunMessage m) {
        transactions.remove(tx);
        int code = m.errorCode().orElse(0);
        if (tx.test == NatTest.TEST_I && tx.change != null) {
            // A STUN server that does not know CHANGE-REQUEST (RFC 8489 §6.3.1.1: 420): plain test I.
            findings.notes.add("the server does not support RFC 5780 (error " + code + " to CHANGE-REQUEST)");
            plan.testI(now, null);
            return;
        }
        if (tx.test.filteringChange()) {
            boolean both = tx.test == NatTest.FILTER_BOTH;
            findings.skipped.add(both ? "filtering-ip" : "filtering-port");
            findings.notes.add("the server refused to answer from another " + (both ? "address" : "port")
                    + " (error " + code + ")");
            return;
        }
        if (tx.test == NatTest.TEST_I) {
            findings.error = "the server answered test I with error " + code
                    + m.errorReason().map(r -> " " + r).orElse("");
            return;
        }
        findings.notes.add("error " + code + " from " + Endpoints.format(tx.to));
        plan.next(now);
    }

    /** {@code tx} ran out of time (and is forgotten). */
    private void expired(long now, Tx tx) {
        switch (tx.test) {
            case FILTER_BOTH, FILTER_PORT -> findings.passed.put(tx.test, false);
            case HAIRPIN_SELF, HAIRPIN_OTHER -> {
                if (findings.hairpin == null && !transactions.hairpinPending()) {
                    findings.hairpin = false;
                }
            }
            case TEST_I -> findings.error = "no answer from " + Endpoints.format(server) + " within "
                    + Timers.seconds(config.giveUp().toNanos()) + " s: the server is down or UDP is blocked";
            default -> {
                findings.notes.add("no answer from " + Endpoints.format(tx.to) + " (" + tx.test + ")");
                plan.next(now);
            }
        }
    }

    private void finishIfDone(long now) {
        if (result != null) {
            return;
        }
        boolean done = findings.error != null
                || (plan.inPhase2() && transactions.isEmpty() && !tcp.busy());
        if (done) {
            result = findings.build(server, plan.other(), locals, now - begin);
            transactions.clear();
        }
    }
}
