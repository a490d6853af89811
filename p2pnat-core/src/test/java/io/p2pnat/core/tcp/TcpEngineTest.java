package io.p2pnat.core.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.Introduction;
import io.p2pnat.core.peer.Technique;
import io.p2pnat.core.peer.Via;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The TCP engine fed with events by hand (and two engines wired to each other), its commands asserted. */
class TcpEngineTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final InetSocketAddress SERVER = new InetSocketAddress("192.0.2.128", 20001);
    private static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 1234);
    private static final InetSocketAddress B = new InetSocketAddress("192.0.2.254", 1234);
    private static final InetSocketAddress B_PRIV = new InetSocketAddress("10.1.1.3", 1234);
    private static final InetSocketAddress A_PRIV = new InetSocketAddress("10.0.0.1", 1234);
    private static final byte[] SESSION_KEY = "session-key-0123".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The agent's session key, as the server shares it. */
    static final class Link implements TcpServerLink {
        InetSocketAddress tcpPublic;
        List<InetSocketAddress> tcpPrivates;

        @Override
        public byte[] signForServer(StunMessage.Builder b) {
            return b.build().encode(SESSION_KEY, true);
        }

        @Override
        public boolean fromServer(StunMessage m) {
            return m.checkIntegrity(SESSION_KEY);
        }

        @Override
        public void setTcpEndpoints(InetSocketAddress publicEndpoint, List<InetSocketAddress> privateEndpoints) {
            tcpPublic = publicEndpoint;
            tcpPrivates = privateEndpoints;
        }
    }

    private static TcpEngine engine(String id, InetSocketAddress at, Link link) {
        return new TcpEngine(new TcpEngine.Settings(at.getPort(), SERVER, List.of(at), id, null, true, 2 * S), link,
                new Random(1));
    }

    private static List<TcpCommand> drain(TcpEngine e) {
        return TcpPunchTest.polled(e::poll);
    }

    /** A command's kind, as both drivers' tests compare them: "Connect ATTEMPT", "Write", "HandOver", ... */
    static String kind(TcpCommand c) {
        return c instanceof TcpCommand.Connect cc ? "Connect " + cc.purpose() : c.getClass().getSimpleName();
    }

    private static Introduction intro(boolean dialer, InetSocketAddress remotePub, List<InetSocketAddress> remotePrivs,
                                      InetSocketAddress localPub, List<InetSocketAddress> localPrivs) {
        return TcpPunchTest.intro(dialer, remotePub, remotePrivs, localPub, localPrivs);
    }

    @Test
    void registersOnTheControlConnectionKeepsItAliveAndReconnects() throws Exception {
        Link link = new Link();
        TcpEngine e = engine("alice", A_PRIV, link);
        e.start(0);
        TcpCommand.Connect c = assertInstanceOf(TcpCommand.Connect.class, drain(e).get(0));
        assertEquals(TcpCommand.Purpose.CONTROL, c.purpose());
        assertEquals(1234, c.localPort(), "from the punching port");
        assertEquals(SERVER, c.remote());
        e.connected(10 * MS, c.streamId());
        TcpCommand.Write reg = assertInstanceOf(TcpCommand.Write.class, drain(e).get(0));
        StunMessage m = StunMessage.decode(reg.bytes());
        assertEquals(StunMethod.REGISTER, m.method());
        assertTrue(m.checkIntegrity(SESSION_KEY), "signed by the agent");
        assertEquals(A_PRIV, m.xorAddress(StunAttributeType.TCP_PRIVATE_ENDPOINT).orElseThrow());

        byte[] ok = StunMessage.builder(StunMethod.REGISTER, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, A).build().encode(SESSION_KEY, true);
        e.data(20 * MS, c.streamId(), ok, 0, ok.length);
        assertEquals(new TcpCommand.Registered(A), drain(e).get(0));
        assertEquals(A, link.tcpPublic);
        assertEquals(List.of(A_PRIV), link.tcpPrivates);

        assertEquals(20 * MS + 15 * S, e.nextTimeout(), "keepalive 15 s after the answer");
        e.timeout(e.nextTimeout());
        TcpCommand.Write ka = assertInstanceOf(TcpCommand.Write.class, drain(e).get(0));
        assertEquals(StunMethod.KEEPALIVE, StunMessage.decode(ka.bytes()).method());
        assertEquals(Timers.NEVER, e.nextTimeout(), "the next keepalive waits for the answer");

        e.closed(16 * S, c.streamId());
        List<TcpCommand> lost = drain(e);
        assertEquals(new TcpCommand.Close(c.streamId()), lost.get(0));
        assertNull(assertInstanceOf(TcpCommand.RegistrationFailed.class, lost.get(1)).refusal());
        assertEquals(21 * S, e.nextTimeout(), "a new connection 5 s later");
        e.timeout(21 * S);
        assertEquals(TcpCommand.Purpose.CONTROL, assertInstanceOf(TcpCommand.Connect.class, drain(e).get(0)).purpose());
    }

    @Test
    void aRefusedRegistrationSaysWhy() throws Exception {
        TcpEngine e = engine("alice", A_PRIV, new Link());
        e.start(0);
        long control = ((TcpCommand.Connect) drain(e).get(0)).streamId();
        e.connected(0, control);
        StunMessage m = StunMessage.decode(((TcpCommand.Write) drain(e).get(0)).bytes());
        byte[] refused = StunMessage.builder(StunMethod.REGISTER, StunClass.ERROR_RESPONSE, m.transactionId())
                .addErrorCode(401, "Unauthorized").build().encode(SESSION_KEY, true);
        e.data(MS, control, refused, 0, refused.length);
        TcpCommand.RegistrationFailed f = assertInstanceOf(TcpCommand.RegistrationFailed.class, drain(e).get(0));
        assertEquals("401 Unauthorized", f.refusal());
        assertEquals("server refused TCP registration: 401 Unauthorized", f.reason());
    }

    @Test
    void aRefusedAttemptIsRetriedAndTheDeadlineFailsTheDial() {
        TcpEngine e = engine("alice", A_PRIV, new Link());
        e.introduce(0, 42, intro(true, B, List.of(B_PRIV), A, List.of(A_PRIV)), 0, 3 * S, 40 * MS);
        List<TcpCommand> first = drain(e);
        assertEquals(List.of("Connect ATTEMPT", "Connect ATTEMPT"), first.stream().map(TcpEngineTest::kind).toList());
        TcpCommand.Connect pub = (TcpCommand.Connect) first.get(0);
        assertEquals(B, pub.remote());
        e.connectFailed(MS, pub.streamId(), true, "refused");
        assertTrue(drain(e).isEmpty(), "no command until the retry is due");
        assertTrue(e.nextTimeout() <= 11 * MS, "retry soon after an RST: " + e.nextTimeout());
        e.timeout(e.nextTimeout());
        TcpCommand.Connect retry = assertInstanceOf(TcpCommand.Connect.class, drain(e).get(0));
        assertEquals(B, retry.remote());
        assertTrue(retry.streamId() != pub.streamId(), "a new stream");

        e.timeout(3 * S);
        List<TcpCommand> end = drain(e);
        TcpCommand.Failed failed = assertInstanceOf(TcpCommand.Failed.class, end.get(end.size() - 1));
        assertEquals(42, failed.dialId());
        assertTrue(failed.reason().contains("could not be reached over TCP"), failed.reason());
        assertTrue(end.stream().filter(c -> c instanceof TcpCommand.Abort).count() >= 2, "its streams reset: " + end);
        assertEquals(Timers.NEVER, e.nextTimeout());
    }

    @Test
    void aStreamThatFailsAuthenticationIsReset() {
        TcpEngine e = engine("bob", B, new Link());
        e.introduce(0, -1, intro(false, A, List.of(A), B, List.of(B)), 0, 3 * S, 40 * MS);
        assertTrue(drain(e).isEmpty(), "a public listener waits for the dialer");
        long id = e.accepted(MS, A);
        byte[] junk = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, io.p2pnat.wire.TransactionId.random(new Random(2)))
                .addString(StunAttributeType.USERNAME, "0000000000000007:alice").build().encode(new byte[16], true);
        junk[junk.length - 30] ^= 1; // breaks the integrity
        e.data(2 * MS, id, junk, 0, junk.length);
        assertEquals(List.of(new TcpCommand.Abort(id)), drain(e));
    }

    /**
     * Both sides on the internet, 40 ms apart, 60 ms from the server: alice connects to bob's
     * public endpoint; while the stream authenticates, the punch keeps retrying that endpoint (the
     * 4-tuple is taken: refused, again after a quarter of the round trip); the stream is handed
     * over on both sides.
     */
    @Test
    void aDirectDialThroughTwoEnginesHandsTheStreamOverOnBothSides() {
        Pair p = new Pair(40 * MS);
        p.alice.introduce(0, 42, intro(true, B, List.of(B), A, List.of(A)), 0, 10 * S, 60 * MS);
        p.bob.introduce(0, -1, intro(false, A, List.of(A), B, List.of(B)), 0, 10 * S, 60 * MS);
        p.run(1 * S);
        assertEquals(DIRECT_DIALER, p.kinds.get(p.alice));
        assertEquals(DIRECT_LISTENER, p.kinds.get(p.bob));
        TcpCommand.HandOver a = p.handOvers.get(p.alice);
        TcpCommand.HandOver b = p.handOvers.get(p.bob);
        assertEquals(42, a.dialId());
        assertEquals(-1, b.dialId());
        assertEquals(Technique.DIRECT, a.info().technique());
        assertEquals(Via.PUBLIC, a.info().via());
        assertEquals(B, a.info().remote());
        assertEquals(A, b.info().remote());
        assertEquals(160 * MS, a.info().setupNanos(), "connect (80 ms), hello and its answer (80 ms)");
        assertEquals(0, a.alreadyRead().length);
        assertNull(a.early(), "no identity: no handshake rode on the stream");
    }

    /**
     * What the engines ask in {@link #aDirectDialThroughTwoEnginesHandsTheStreamOverOnBothSides};
     * the simulator's TcpEngineParityTest sees the same from its TCP peers in that topology.
     */
    static final List<String> DIRECT_DIALER = List.of("Connect ATTEMPT", "Write", "Connect ATTEMPT", "Connect ATTEMPT",
            "Connect ATTEMPT", "Connect ATTEMPT", "Connect ATTEMPT", "Connect ATTEMPT", "Write", "Write", "HandOver");
    static final List<String> DIRECT_LISTENER = List.of("Write", "Write", "HandOver");

    /**
     * Two engines on a lossless network, {@code oneWay} apart: a connection is up at its opener
     * after a round trip and at the other side (accepted, with the first bytes) half a round trip
     * later; a second connection to a 4-tuple in use is refused at once.
     */
    private static final class Pair {
        private record Event(long at, long seq, Runnable run) {
        }

        final TcpEngine alice = engine("alice", A, new Link());
        final TcpEngine bob = engine("bob", B, new Link());
        final Map<TcpEngine, List<String>> kinds = new HashMap<>(Map.of(alice, new ArrayList<>(), bob, new ArrayList<>()));
        final Map<TcpEngine, TcpCommand.HandOver> handOvers = new HashMap<>();
        /** (engine, its stream) -> the other side's stream */
        final Map<TcpEngine, Map<Long, Long>> peerStream = new HashMap<>(Map.of(alice, new HashMap<>(), bob, new HashMap<>()));
        final Map<TcpEngine, Map<InetSocketAddress, Long>> tuples = new HashMap<>(Map.of(alice, new HashMap<>(), bob, new HashMap<>()));
        final java.util.PriorityQueue<Event> wire = new java.util.PriorityQueue<>(
                java.util.Comparator.comparingLong(Event::at).thenComparingLong(Event::seq));
        final long oneWay;
        long seq;
        long now;

        Pair(long oneWay) {
            this.oneWay = oneWay;
        }

        void run(long until) {
            pump(alice);
            pump(bob);
            while (true) {
                long next = Math.min(wire.isEmpty() ? Timers.NEVER : wire.peek().at(), Math.min(alice.nextTimeout(), bob.nextTimeout()));
                if (next > until) {
                    return;
                }
                now = next;
                while (!wire.isEmpty() && wire.peek().at() <= now) {
                    wire.poll().run().run();
                    pump(alice);
                    pump(bob);
                }
                for (TcpEngine e : List.of(alice, bob)) {
                    if (now >= e.nextTimeout()) {
                        e.timeout(now);
                        pump(e);
                    }
                }
            }
        }

        private void later(long delay, Runnable r) {
            wire.add(new Event(now + delay, seq++, r));
        }

        private void pump(TcpEngine e) {
            TcpEngine other = e == alice ? bob : alice;
            InetSocketAddress self = e == alice ? A : B;
            TcpCommand c;
            while ((c = e.poll()) != null) {
                kinds.get(e).add(kind(c));
                if (c instanceof TcpCommand.Connect cc) {
                    long id = cc.streamId();
                    if (tuples.get(e).containsKey(cc.remote())) {
                        e.connectFailed(now, id, true, "the 4-tuple is in use");
                        continue;
                    }
                    tuples.get(e).put(cc.remote(), id);
                    later(2 * oneWay, () -> e.connected(now, id));
                    later(3 * oneWay, () -> {
                        long theirs = other.accepted(now, self);
                        peerStream.get(e).put(id, theirs);
                        peerStream.get(other).put(theirs, id);
                    });
                } else if (c instanceof TcpCommand.Write w) {
                    later(oneWay, () -> other.data(now, peerStream.get(e).get(w.streamId()), w.bytes(), 0, w.bytes().length));
                } else if (c instanceof TcpCommand.Abort a) {
                    later(oneWay, () -> {
                        Long theirs = peerStream.get(e).get(a.streamId());
                        if (theirs != null) {
                            other.closed(now, theirs);
                        }
                    });
                } else if (c instanceof TcpCommand.HandOver h) {
                    handOvers.put(e, h);
                }
            }
        }
    }
}
