package io.p2pnat.core.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.peer.Introduction;
import io.p2pnat.core.peer.Technique;
import io.p2pnat.core.peer.Via;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TcpPunchTest {
    private static final long MS = 1_000_000L;
    private static final InetSocketAddress A_PRIV = new InetSocketAddress("10.0.0.1", 1234);
    private static final InetSocketAddress A_PUB = new InetSocketAddress("192.0.2.1", 1234);
    private static final InetSocketAddress B_PRIV = new InetSocketAddress("10.1.1.3", 1234);
    private static final InetSocketAddress B_PUB = new InetSocketAddress("192.0.2.254", 1234);
    private static final InetSocketAddress S = new InetSocketAddress("192.0.2.128", 20001);

    static Introduction intro(boolean dialer, InetSocketAddress remotePub, List<InetSocketAddress> remotePrivs,
                                      InetSocketAddress localPub, List<InetSocketAddress> localPrivs) {
        return new Introduction(7, new byte[16], dialer ? "bob" : "alice", dialer, remotePub, remotePrivs, localPub,
                localPrivs, MappingBehaviour.ENDPOINT_INDEPENDENT, MappingBehaviour.ENDPOINT_INDEPENDENT);
    }

    private static List<TcpAction> drain(TcpPunch p) {
        return polled(p::poll);
    }

    /** Everything {@code poll} gives until it gives null. */
    static <T> List<T> polled(java.util.function.Supplier<T> poll) {
        List<T> out = new ArrayList<>();
        T a;
        while ((a = poll.get()) != null) {
            out.add(a);
        }
        return out;
    }

    @Test
    void connectsToEveryEndpointAtOnceAndRetriesSoonAfterAnRst() {
        TcpPunch p = new TcpPunch(intro(true, B_PUB, List.of(B_PRIV), A_PUB, List.of(A_PRIV)), 0, 10_000 * MS, 40 * MS,
                2_000 * MS, true);
        p.start(0);
        List<TcpAction> first = drain(p);
        assertEquals(2, first.size(), "public and private endpoints at once: " + first);
        TcpAction.Connect pub = (TcpAction.Connect) first.get(0);
        assertEquals(B_PUB, pub.remote(), "public first when the peer is behind another NAT");
        // The far NAT answers the early SYN with RST: retry within a fraction of the RTT, not after it.
        p.onConnectResult(1 * MS, pub.attemptId(), false, true);
        assertTrue(p.nextTimeout() <= 1 * MS + 10 * MS, "retry soon after an RST: " + p.nextTimeout());
        p.onTimeout(p.nextTimeout());
        List<TcpAction> retry = drain(p);
        assertEquals(1, retry.size());
        assertEquals(B_PUB, ((TcpAction.Connect) retry.get(0)).remote());
        // Many RSTs never make it give up before the deadline.
        long now = 20 * MS;
        for (int i = 0; i < 50; i++) {
            TcpAction.Connect c = (TcpAction.Connect) retry.get(0);
            p.onConnectResult(now, c.attemptId(), false, true);
            now = p.nextTimeout();
            p.onTimeout(now);
            retry = drain(p).stream().filter(a -> a instanceof TcpAction.Connect cc && cc.remote().equals(B_PUB)).toList();
            if (retry.isEmpty()) {
                break;
            }
        }
        assertTrue(now < 10_000 * MS && !p.isDone(), "still trying after 50 RSTs at " + now / MS + " ms");
    }

    @Test
    void firstAuthenticatedStreamWinsOnTheDialer() {
        TcpPunch p = new TcpPunch(intro(true, B_PUB, List.of(B_PRIV), A_PUB, List.of(A_PRIV)), 0, 10_000 * MS, 40 * MS,
                2_000 * MS, true);
        p.measureSetupFrom(-30 * MS);
        p.start(0);
        TcpAction.Connect c = (TcpAction.Connect) drain(p).get(0);
        p.onConnectResult(50 * MS, c.attemptId(), true, false);
        p.onAuthenticated(60 * MS, 11, B_PUB, false);
        TcpAction.Select sel = assertInstanceOf(TcpAction.Select.class, p.poll());
        assertEquals(11, sel.streamId());
        assertEquals(Technique.TCP_HOLE_PUNCH, sel.info().technique());
        assertEquals(Via.PUBLIC, sel.info().via());
        assertEquals("tcp", sel.info().transport());
        assertEquals(90 * MS, sel.info().setupNanos());
        assertTrue(p.isDone());
        assertNull(p.poll());
    }

    @Test
    void behindTheSameNatAPrivateStreamBeatsAHairpinThatAuthenticatedJustBefore() {
        InetSocketAddress bHairpin = new InetSocketAddress("192.0.2.1", 40000);
        Introduction sameNat = intro(true, bHairpin, List.of(B_PRIV), A_PUB, List.of(A_PRIV));
        TcpPunch p = new TcpPunch(sameNat, 0, 10_000 * MS, 40 * MS, 2_000 * MS, true);
        p.start(0);
        List<TcpAction> first = drain(p);
        assertEquals(B_PRIV, ((TcpAction.Connect) first.get(0)).remote(), "private first behind the same NAT");
        p.onAuthenticated(3 * MS, 21, bHairpin, false);
        assertNull(p.poll(), "the hairpin waits for the private path");
        assertTrue(p.nextTimeout() <= 3 * MS + 20 * MS, "a short grace, at most 20 ms: " + p.nextTimeout());
        p.onAuthenticated(4 * MS, 22, B_PRIV, false);
        TcpAction.Select sel = assertInstanceOf(TcpAction.Select.class, p.poll());
        assertEquals(22, sel.streamId());
        assertEquals(Via.PRIVATE, sel.info().via());

        // No private answer within the grace: the hairpin stream wins (figure 5's nested NATs).
        TcpPunch q = new TcpPunch(sameNat, 0, 10_000 * MS, 1 * MS, 2_000 * MS, true);
        q.start(0);
        drain(q);
        q.onAuthenticated(3 * MS, 31, bHairpin, false);
        assertNull(q.poll());
        assertEquals(13 * MS, q.nextTimeout(), "grace of the RTT, at least 10 ms");
        q.onTimeout(12 * MS);
        assertNull(q.poll(), "still within the grace");
        q.onTimeout(13 * MS);
        TcpAction.Select hairpin = assertInstanceOf(TcpAction.Select.class, q.poll());
        assertEquals(31, hairpin.streamId());
        assertEquals(Via.HAIRPIN, hairpin.info().via());
        assertTrue(q.isDone());
    }

    @Test
    void listenerWaitsForTheDialersNomination() {
        TcpPunch p = new TcpPunch(intro(false, A_PUB, List.of(A_PRIV), B_PUB, List.of(B_PRIV)), 0, 10_000 * MS, 40 * MS,
                2_000 * MS, true);
        p.start(0);
        drain(p);
        p.onAuthenticated(60 * MS, 5, A_PUB, false);
        assertNull(p.poll(), "the listener does not choose");
        p.onNominated(70 * MS, 5, A_PUB, false);
        assertInstanceOf(TcpAction.Select.class, p.poll());
    }

    @Test
    void publicDialerMakesNoAttemptsAndWaitsForTheReversal() {
        InetSocketAddress bPublic = new InetSocketAddress("192.0.2.77", 1234);
        TcpPunch p = new TcpPunch(intro(true, A_PUB, List.of(A_PRIV), bPublic, List.of(bPublic)), 0, 10_000 * MS,
                40 * MS, 2_000 * MS, false);
        p.start(0);
        assertTrue(drain(p).isEmpty(), "no SYNs toward a NAT that would drop them (§3.2)");
        p.onAuthenticated(30 * MS, 3, A_PUB, false);
        TcpAction.Select sel = assertInstanceOf(TcpAction.Select.class, p.poll());
        assertEquals(Technique.CONNECTION_REVERSAL, sel.info().technique());
    }

    @Test
    void fallsBackToTheRelayAfterTheBudgetAndFailsAtTheDeadlineWithout() {
        TcpPunch p = new TcpPunch(intro(true, B_PUB, List.of(B_PRIV), A_PUB, List.of(A_PRIV)), 0, 5_000 * MS, 40 * MS,
                1_000 * MS, true);
        p.start(0);
        drain(p);
        p.onTimeout(1_000 * MS);
        assertTrue(drain(p).stream().anyMatch(a -> a instanceof TcpAction.AttachRelay));
        p.onAuthenticated(1_100 * MS, 99, S, true);
        TcpAction.Select sel = assertInstanceOf(TcpAction.Select.class, p.poll());
        assertEquals(Technique.RELAY, sel.info().technique());
        assertEquals(Via.RELAY, sel.info().via());

        TcpPunch q = new TcpPunch(intro(true, B_PUB, List.of(B_PRIV), A_PUB, List.of(A_PRIV)), 0, 5_000 * MS, 40 * MS,
                1_000 * MS, false);
        q.start(0);
        drain(q);
        q.onTimeout(5_000 * MS);
        TcpAction.Fail f = assertInstanceOf(TcpAction.Fail.class, drain(q).get(0));
        assertTrue(f.reason().contains("192.0.2.254:1234"), f.reason());
    }
}
