package io.p2pnat.core.discovery;

import io.p2pnat.core.Endpoints;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Random;

/**
 * Which of {@link NatCheck}'s tests run, and when (RFC 5780 §4). Phase 1 sends one request at a
 * time, so the NAT makes its mappings in a known order and port allocation can be read from
 * them: the mapping tests (§4.3) toward what test I's OTHER-ADDRESS (or ALT-PORT) says the server
 * has, two fresh sockets, then the filtering socket's only hole. Phase 2 sends at once what may
 * go unanswered: the filtering tests (§4.4), hairpinning (§4.5) and the TCP exchange.
 */
final class TestPlan {
    private final InetSocketAddress server;
    private final InetSocketAddress local;
    private final boolean tcpTest;
    private final Random random;
    private final BindingTransactions transactions;
    private final NatCheckFindings findings;
    private final TcpProbeExchange tcp;
    private final ArrayDeque<BindingTransactions.Tx> plan = new ArrayDeque<>();
    private InetSocketAddress other;
    private int altPort;
    private boolean phase2;

    /** @param local the main socket's local endpoint */
    TestPlan(InetSocketAddress server, InetSocketAddress local, boolean tcpTest, Random random,
             BindingTransactions transactions, NatCheckFindings findings, TcpProbeExchange tcp) {
        this.server = server;
        this.local = local;
        this.tcpTest = tcpTest;
        this.random = random;
        this.transactions = transactions;
        this.findings = findings;
        this.tcp = tcp;
    }

    /** Sends test I, with {@code change} (null: none, for a server that refused CHANGE-REQUEST). */
    void testI(long now, ChangeRequest change) {
        transactions.send(now, transactions.request(NatTest.TEST_I, NatCheck.MAIN, server, change, false));
    }

    /** The server's alternate address and port (OTHER-ADDRESS), or null. */
    InetSocketAddress other() {
        return other;
    }

    /** The server's alternate port on its primary address, or 0. */
    int altPort() {
        return altPort;
    }

    boolean inPhase2() {
        return phase2;
    }

    /** Plans phase 1 from the answer to test I (its transaction ids are drawn now, in this order). */
    void planPhase1(StunMessage testI) {
        other = testI.address(StunAttributeType.OTHER_ADDRESS).orElse(null);
        if (other != null && (other.getAddress().equals(server.getAddress()) || other.getPort() == server.getPort())) {
            findings.notes.add("the server's OTHER-ADDRESS " + Endpoints.format(other)
                    + " does not differ in both address and port; ignored");
            other = null;
        }
        altPort = other != null ? other.getPort()
                : (int) testI.uint32(StunAttributeType.ALT_PORT).orElse(0);
        if (altPort == server.getPort() || altPort > 65535) {
            altPort = 0;
        }
        if (other != null) {
            plan.add(request(NatTest.MAP_ALT_IP, NatCheck.MAIN, new InetSocketAddress(other.getAddress(), server.getPort())));
            plan.add(request(NatTest.MAP_ALT_BOTH, NatCheck.MAIN, other));
        } else {
            findings.skipped.add("mapping-ip");
        }
        if (altPort != 0) {
            plan.add(request(NatTest.MAP_ALT_PORT, NatCheck.MAIN, new InetSocketAddress(server.getAddress(), altPort)));
        } else {
            findings.skipped.add("mapping-port");
        }
        plan.add(request(NatTest.ALLOC_A, NatCheck.ALLOCATION_A, server));
        plan.add(request(NatTest.ALLOC_B, NatCheck.ALLOCATION_B, server));
        plan.add(request(NatTest.FILTER_BASE, NatCheck.FILTERING, server));
    }

    private BindingTransactions.Tx request(NatTest test, int socket, InetSocketAddress to) {
        return transactions.request(test, socket, to, ChangeRequest.NONE, false);
    }

    /** The previous phase 1 test is over: sends the next, or starts phase 2. */
    void next(long now) {
        if (findings.error != null || phase2) {
            return;
        }
        BindingTransactions.Tx tx = plan.poll();
        if (tx != null) {
            transactions.send(now, tx);
            return;
        }
        startPhase2(now);
    }

    private void startPhase2(long now) {
        phase2 = true;
        InetSocketAddress pub = findings.mapped(NatTest.TEST_I);
        if (findings.mapped(NatTest.FILTER_BASE) == null) {
            findings.skipped.add("filtering-ip");
            findings.skipped.add("filtering-port");
            findings.notes.add("the filtering socket got no answer, so filtering was not tested");
        } else {
            if (other != null) {
                send(now, NatTest.FILTER_BOTH, NatCheck.FILTERING, server, ChangeRequest.IP_AND_PORT);
            } else {
                findings.skipped.add("filtering-ip");
            }
            if (altPort != 0) {
                send(now, NatTest.FILTER_PORT, NatCheck.FILTERING, server, ChangeRequest.PORT);
            } else {
                findings.skipped.add("filtering-port");
            }
        }
        if (findings.natDetected(local)) {
            send(now, NatTest.HAIRPIN_SELF, NatCheck.MAIN, pub, null);
            send(now, NatTest.HAIRPIN_OTHER, NatCheck.ALLOCATION_A, pub, null);
        }
        if (tcpTest && other != null) {
            tcp.start(new InetSocketAddress(server.getAddress(), altPort), random);
        } else if (tcpTest) {
            findings.skipped.add("tcp");
        }
    }

    /** Sends a phase 2 request, which may rightly go unanswered. */
    private void send(long now, NatTest test, int socket, InetSocketAddress to, ChangeRequest change) {
        transactions.send(now, transactions.request(test, socket, to, change, true));
    }
}
