package io.p2pnat.core.rendezvous;

import static io.p2pnat.core.testnet.TestNet.ep;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.ManualClock;
import io.p2pnat.core.Signaling;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.rendezvous.StreamCommand.Close;
import io.p2pnat.core.rendezvous.StreamCommand.Splice;
import io.p2pnat.core.rendezvous.StreamCommand.Write;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The TCP side of the rendezvous service (docs/protocol.md "TCP"): STUN over TCP framing
 * (RFC 8489 §6.2.2), TCP REGISTER and KEEPALIVE, CONNECT with TRANSPORT=1, RELAY-ATTACH and the
 * splice, and the RFC 5128 §6.2 limits on connections that have not authenticated. No sockets:
 * connections are ids, time is a {@link ManualClock}.
 */
class RendezvousStreamTest {
    private static final InetSocketAddress ALICE = ep("192.0.2.1:1234");
    private static final InetSocketAddress BOB = ep("192.0.2.254:1234");
    private static final InetSocketAddress CAROL = ep("198.51.100.20:1234");
    private static final InetSocketAddress ALICE_TCP = ep("192.0.2.1:40001");
    private static final InetSocketAddress BOB_TCP = ep("192.0.2.254:40002");
    private static final InetSocketAddress ALICE_TCP_PRIVATE = ep("10.0.0.1:5555");
    private static final InetSocketAddress BOB_TCP_PRIVATE = ep("10.1.1.3:5555");
    private static final Duration LIFETIME = Duration.ofSeconds(30);
    private static final long SECOND = 1_000_000_000L;

    private final Random rnd = new Random(6062);
    private final ManualClock clock = new ManualClock(1_000 * SECOND);
    private RendezvousService s = new RendezvousService(
            RendezvousConfig.defaults().withRegistrationLifetime(LIFETIME), new Random(42));
    private long nextConn = 100;

    // --- helpers --------------------------------------------------------------------------

    private long now() {
        return clock.nanoTime();
    }

    private TransactionId tid() {
        return TransactionId.random(rnd);
    }

    private List<Transmit> udp(InetSocketAddress from, byte[] bytes) {
        s.handleInput(now(), from, bytes, 0, bytes.length);
        List<Transmit> out = new ArrayList<>();
        for (Transmit t = s.pollTransmit(); t != null; t = s.pollTransmit()) {
            out.add(t);
        }
        return out;
    }

    private List<StreamCommand> commands() {
        List<StreamCommand> out = new ArrayList<>();
        for (StreamCommand c = s.pollStreamCommand(); c != null; c = s.pollStreamCommand()) {
            out.add(c);
        }
        return out;
    }

    private long open(InetSocketAddress remote) {
        long id = nextConn++;
        s.handleStreamOpened(now(), id, remote);
        return id;
    }

    private List<StreamCommand> send(long conn, byte[] bytes) {
        s.handleStreamData(now(), conn, bytes, 0, bytes.length);
        return commands();
    }

    private List<StreamCommand> timeout() {
        s.handleTimeout(now());
        return commands();
    }

    private static StunMessage decode(byte[] bytes) {
        try {
            return StunMessage.decode(bytes);
        } catch (StunParseException e) {
            throw new AssertionError("server sent malformed STUN", e);
        }
    }

    /** The single command, a write to {@code conn}, decoded. */
    private static StunMessage written(List<StreamCommand> out, long conn) {
        assertEquals(1, out.size(), () -> "expected one write, got " + out);
        Write w = assertInstanceOf(Write.class, out.get(0));
        assertEquals(conn, w.connId());
        return decode(w.bytes());
    }

    private static void assertClosed(List<StreamCommand> out, long conn) {
        assertEquals(List.of(new Close(conn)), out);
    }

    /** Registers over UDP through the cookie exchange; returns the session key. */
    private byte[] registerUdp(String id, InetSocketAddress from) {
        byte[] cookie = null;
        byte[] serverKey = null;
        for (int round = 0; round < 2; round++) {
            StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid())
                    .addString(StunAttributeType.PEER_ID, id);
            if (cookie != null) {
                b.addAttribute(StunAttributeType.COOKIE, cookie);
                TestKeys.prove(b, id, cookie, serverKey);
            }
            b.addAttribute(Signaling.PADDING, new byte[64]);
            List<Transmit> out = udp(from, b.build().encode(null, true));
            StunMessage m = decode(out.get(0).payload());
            if (round == 0) {
                cookie = m.bytes(StunAttributeType.COOKIE).orElseThrow();
                serverKey = m.bytes(StunAttributeType.SERVER_KEY).orElseThrow();
            } else {
                assertEquals(StunClass.SUCCESS_RESPONSE, m.messageClass());
                return TestKeys.sessionKey(m, id, serverKey);
            }
        }
        throw new AssertionError();
    }

    private byte[] tcpRegister(String id, byte[] key, InetSocketAddress... privates) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, id);
        for (InetSocketAddress p : privates) {
            b.addXorAddress(StunAttributeType.TCP_PRIVATE_ENDPOINT, p);
        }
        return b.build().encode(key, true);
    }

    private byte[] keepalive(String id, byte[] key) {
        return StunMessage.builder(StunMethod.KEEPALIVE, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, id).build().encode(key, true);
    }

    private byte[] attach(String id, long introId, byte[] key) {
        return StunMessage.builder(StunMethod.RELAY_ATTACH, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, id)
                .addAttribute(StunAttributeType.INTRO_ID, ByteBuffer.allocate(8).putLong(introId).array())
                .build().encode(key, true);
    }

    private byte[] connect(String id, String target, byte[] key, Integer transport) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.CONNECT, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, id).addString(StunAttributeType.TARGET_ID, target);
        if (transport != null) {
            b.addByte(StunAttributeType.TRANSPORT, transport);
        }
        return b.build().encode(key, true);
    }

    /** Opens a connection from {@code remote} and TCP-registers {@code id} on it. */
    private long tcpRegistered(String id, byte[] key, InetSocketAddress remote, InetSocketAddress... privates) {
        long conn = open(remote);
        StunMessage ok = written(send(conn, tcpRegister(id, key, privates)), conn);
        assertEquals(StunClass.SUCCESS_RESPONSE, ok.messageClass(), () -> "TCP REGISTER refused: " + ok.errorReason());
        return conn;
    }

    private static StunMessage to(List<Transmit> out, InetSocketAddress dest) {
        return decode(out.stream().filter(t -> t.destination().equals(dest)).findFirst().orElseThrow().payload());
    }

    /** Alice and Bob registered over UDP and TCP, alice CONNECTs over UDP: the introduction id. */
    private long introduce(byte[] a, Integer transport) {
        StunMessage answer = to(udp(ALICE, connect("alice", "bob", a, transport)), ALICE);
        assertEquals(StunClass.SUCCESS_RESPONSE, answer.messageClass(), () -> "CONNECT refused: " + answer.errorReason());
        return ByteBuffer.wrap(answer.bytes(StunAttributeType.INTRO_ID).orElseThrow()).getLong();
    }

    // --- TCP REGISTER ---------------------------------------------------------------------

    @Test
    void tcpRegisterAnswersWithTheConnectionsRemoteAddressUnderTheSessionKey() {
        byte[] a = registerUdp("alice", ALICE);
        long conn = open(ALICE_TCP);
        assertEquals(1, s.pendingStreamCount());
        StunMessage ok = written(send(conn, tcpRegister("alice", a, ALICE_TCP_PRIVATE)), conn);
        assertEquals(StunMethod.REGISTER, ok.method());
        assertEquals(StunClass.SUCCESS_RESPONSE, ok.messageClass());
        assertTrue(ok.checkIntegrity(a), "signed with the UDP session key");
        assertEquals(ALICE_TCP, ok.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
        assertEquals(0, s.pendingStreamCount(), "authenticated: no longer pending");
        assertEquals(1, s.streamConnectionCount());
        assertEquals(1, s.stats().tcpRegistrations());
    }

    @Test
    void tcpRegisterWithoutAUdpRegistrationGetsAnUnsigned437() {
        byte[] key = new byte[16];
        long conn = open(ALICE_TCP);
        StunMessage err = written(send(conn, tcpRegister("alice", key)), conn);
        assertEquals(StunClass.ERROR_RESPONSE, err.messageClass());
        assertEquals(Signaling.ERR_NOT_REGISTERED, err.errorCode().orElseThrow());
        assertFalse(err.has(StunAttributeType.MESSAGE_INTEGRITY));
        assertEquals(1, s.pendingStreamCount(), "still pending, on its handshake timer");
        // The peer registers over UDP and retries on the same connection.
        byte[] a = registerUdp("alice", ALICE);
        assertEquals(StunClass.SUCCESS_RESPONSE, written(send(conn, tcpRegister("alice", a)), conn).messageClass());
    }

    @Test
    void tcpRegisterUnderTheWrongKeyClosesTheConnection() {
        registerUdp("alice", ALICE);
        byte[] wrong = new byte[16];
        rnd.nextBytes(wrong);
        long conn = open(ALICE_TCP);
        assertClosed(send(conn, tcpRegister("alice", wrong)), conn);
        assertEquals(0, s.streamConnectionCount());
        long unsigned = open(ALICE_TCP);
        assertClosed(send(unsigned, tcpRegister("alice", null)), unsigned);
        assertEquals(0, s.stats().tcpRegistrations());
        assertEquals(0, s.pendingStreamCount());
    }

    @Test
    void tcpRegisterWithTooManyEndpointsIsRefusedSigned() {
        byte[] a = registerUdp("alice", ALICE);
        InetSocketAddress[] many = new InetSocketAddress[Signaling.MAX_PRIVATE_ENDPOINTS + 1];
        for (int i = 0; i < many.length; i++) {
            many[i] = ep("10.0.0." + (i + 1) + ":5555");
        }
        long conn = open(ALICE_TCP);
        StunMessage err = written(send(conn, tcpRegister("alice", a, many)), conn);
        assertEquals(Signaling.ERR_BAD_REQUEST, err.errorCode().orElseThrow());
        assertTrue(err.checkIntegrity(a));
    }

    @Test
    void messagesSplitIntoSingleBytesOrBatchedInOneChunkAreFramedByTheirLength() {
        byte[] a = registerUdp("alice", ALICE);
        long conn = open(ALICE_TCP);
        byte[] reg = tcpRegister("alice", a, ALICE_TCP_PRIVATE);
        for (int i = 0; i < reg.length - 1; i++) {
            assertEquals(List.of(), send(conn, new byte[] {reg[i]}), "answered before the message was whole");
        }
        assertEquals(StunClass.SUCCESS_RESPONSE, written(send(conn, new byte[] {reg[reg.length - 1]}), conn).messageClass());

        byte[] k1 = keepalive("alice", a);
        byte[] k2 = keepalive("alice", a);
        byte[] binding = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, tid()).build().encode();
        byte[] batch = ByteBuffer.allocate(k1.length + k2.length + binding.length).put(k1).put(k2).put(binding).array();
        List<StreamCommand> out = send(conn, batch);
        assertEquals(3, out.size());
        List<Integer> methods = out.stream().map(c -> decode(((Write) c).bytes()).method()).toList();
        assertEquals(List.of(StunMethod.KEEPALIVE, StunMethod.KEEPALIVE, StunMethod.BINDING), methods);
        StunMessage bound = decode(((Write) out.get(2)).bytes());
        assertEquals(ALICE_TCP, bound.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
    }

    // --- keepalive, lifetime, close -------------------------------------------------------

    @Test
    void keepalivesOverTcpAreAnsweredAndHoldTheRegistrationAndTheConnection() {
        byte[] a = registerUdp("alice", ALICE);
        long conn = tcpRegistered("alice", a, ALICE_TCP);
        for (int i = 0; i < 6; i++) { // three lifetimes, no UDP keepalive at all
            clock.advance(LIFETIME.dividedBy(2));
            assertEquals(List.of(), timeout());
            assertEquals(1, s.registrationCount(), "expired at keepalive " + i);
            StunMessage ok = written(send(conn, keepalive("alice", a)), conn);
            assertEquals(StunMethod.KEEPALIVE, ok.method());
            assertEquals(StunClass.SUCCESS_RESPONSE, ok.messageClass());
            assertTrue(ok.checkIntegrity(a));
            assertEquals(ALICE_TCP, ok.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
        }
        // Silence for a lifetime: the registration lapses and the idle connection is closed.
        clock.advance(LIFETIME);
        assertClosed(timeout(), conn);
        assertEquals(0, s.registrationCount());
        assertEquals(0, s.streamConnectionCount());
        assertEquals(Timers.NEVER, s.nextTimeout());
    }

    @Test
    void keepaliveOnAConnectionWithoutATcpRegistrationIsRefused() {
        byte[] a = registerUdp("alice", ALICE);
        long conn = open(ALICE_TCP);
        StunMessage err = written(send(conn, keepalive("alice", a)), conn);
        assertEquals(Signaling.ERR_BAD_REQUEST, err.errorCode().orElseThrow());
        assertTrue(err.checkIntegrity(a));
        assertEquals(1, s.pendingStreamCount());
    }

    @Test
    void closingTheRegistrationConnectionForgetsTheTcpEndpoints() {
        byte[] a = registerUdp("alice", ALICE);
        byte[] b = registerUdp("bob", BOB);
        tcpRegistered("alice", a, ALICE_TCP);
        long bobConn = tcpRegistered("bob", b, BOB_TCP);
        introduce(a, Signaling.TRANSPORT_TCP);
        s.handleStreamClosed(now(), bobConn);
        assertEquals(List.of(), commands(), "nothing to do for a connection the driver closed");
        StunMessage err = to(udp(ALICE, connect("alice", "bob", a, Signaling.TRANSPORT_TCP)), ALICE);
        assertEquals(StunClass.ERROR_RESPONSE, err.messageClass());
        assertTrue(err.errorReason().orElseThrow().contains("'bob'"), err.errorReason().orElseThrow());
        assertEquals(2, s.registrationCount(), "bob's UDP registration stays");
    }

    @Test
    void aNewerTcpRegistrationClosesTheOlderConnectionWhoseCloseThenChangesNothing() {
        byte[] a = registerUdp("alice", ALICE);
        byte[] b = registerUdp("bob", BOB);
        long older = tcpRegistered("alice", a, ALICE_TCP);
        tcpRegistered("bob", b, BOB_TCP);
        InetSocketAddress rebound = ep("192.0.2.1:40999");
        long newer = open(rebound);
        List<StreamCommand> out = send(newer, tcpRegister("alice", a, ALICE_TCP_PRIVATE));
        assertEquals(2, out.size());
        assertEquals(new Close(older), out.get(0));
        assertEquals(StunClass.SUCCESS_RESPONSE, decode(((Write) out.get(1)).bytes()).messageClass());
        s.handleStreamClosed(now(), older);
        StunMessage intro = to(udp(BOB, connect("bob", "alice", b, Signaling.TRANSPORT_TCP)), BOB);
        assertEquals(rebound, intro.xorAddress(StunAttributeType.TCP_PUBLIC_ENDPOINT).orElseThrow());
        assertEquals(List.of(ALICE_TCP_PRIVATE), intro.xorAddresses(StunAttributeType.TCP_PRIVATE_ENDPOINT));
    }

    @Test
    void aUdpReRegistrationKeepsTheOpenTcpRegistration() {
        byte[] a = registerUdp("alice", ALICE);
        byte[] b = registerUdp("bob", BOB);
        long conn = tcpRegistered("alice", a, ALICE_TCP);
        tcpRegistered("bob", b, BOB_TCP);
        byte[] a2 = registerUdp("alice", ALICE); // e.g. after a 437: a new session key
        StunMessage answer = to(udp(BOB, connect("bob", "alice", b, Signaling.TRANSPORT_TCP)), BOB);
        assertEquals(ALICE_TCP, answer.xorAddress(StunAttributeType.TCP_PUBLIC_ENDPOINT).orElseThrow());
        assertTrue(written(send(conn, keepalive("alice", a2)), conn).checkIntegrity(a2));
        assertClosed(send(conn, keepalive("alice", a)), conn); // the old key no longer verifies
        assertEquals(Signaling.ERR_BAD_REQUEST, to(udp(BOB, connect("bob", "alice", b, Signaling.TRANSPORT_TCP)), BOB)
                .errorCode().orElseThrow());
    }

    // --- CONNECT with TRANSPORT=1 ---------------------------------------------------------

    @Test
    void tcpConnectNeedsBothPeersRegisteredOverTcpAndSaysWhichIsNot() {
        byte[] a = registerUdp("alice", ALICE);
        byte[] b = registerUdp("bob", BOB);
        StunMessage err = to(udp(ALICE, connect("alice", "bob", a, Signaling.TRANSPORT_TCP)), ALICE);
        assertEquals(StunClass.ERROR_RESPONSE, err.messageClass());
        assertEquals(Signaling.ERR_BAD_REQUEST, err.errorCode().orElseThrow());
        assertTrue(err.checkIntegrity(a), "an authenticated dialer gets an authenticated answer");
        assertEquals("peer 'alice' has no TCP registration", err.errorReason().orElseThrow());

        tcpRegistered("alice", a, ALICE_TCP);
        List<Transmit> out = udp(ALICE, connect("alice", "bob", a, Signaling.TRANSPORT_TCP));
        assertEquals(1, out.size(), "no INTRODUCE for a refused CONNECT");
        assertEquals("peer 'bob' has no TCP registration", to(out, ALICE).errorReason().orElseThrow());
        assertEquals(0, s.stats().introductions());
        assertEquals(0, s.relaySessionCount());

        tcpRegistered("bob", b, BOB_TCP);
        assertEquals(StunClass.SUCCESS_RESPONSE,
                to(udp(ALICE, connect("alice", "bob", a, Signaling.TRANSPORT_TCP)), ALICE).messageClass());
        StunMessage bad = to(udp(ALICE, connect("alice", "bob", a, 7)), ALICE);
        assertEquals(Signaling.ERR_BAD_REQUEST, bad.errorCode().orElseThrow());
    }

    @Test
    void tcpConnectCarriesTheOtherPeersTcpEndpointsBesidesTheUdpOnes() {
        byte[] a = registerUdp("alice", ALICE);
        byte[] b = registerUdp("bob", BOB);
        tcpRegistered("alice", a, ALICE_TCP, ALICE_TCP_PRIVATE);
        tcpRegistered("bob", b, BOB_TCP, BOB_TCP_PRIVATE, ep("10.1.1.4:5555"));
        List<Transmit> out = udp(ALICE, connect("alice", "bob", a, Signaling.TRANSPORT_TCP));
        assertEquals(2, out.size());
        StunMessage answer = to(out, ALICE);
        StunMessage intro = to(out, BOB);
        assertTrue(answer.checkIntegrity(a));
        assertTrue(intro.checkIntegrity(b));
        assertEquals(Signaling.TRANSPORT_TCP, answer.byteValue(StunAttributeType.TRANSPORT).orElseThrow());
        assertEquals(Signaling.TRANSPORT_TCP, intro.byteValue(StunAttributeType.TRANSPORT).orElseThrow());
        assertEquals(BOB_TCP, answer.xorAddress(StunAttributeType.TCP_PUBLIC_ENDPOINT).orElseThrow());
        assertEquals(List.of(BOB_TCP_PRIVATE, ep("10.1.1.4:5555")), answer.xorAddresses(StunAttributeType.TCP_PRIVATE_ENDPOINT));
        assertEquals(ALICE_TCP, intro.xorAddress(StunAttributeType.TCP_PUBLIC_ENDPOINT).orElseThrow());
        assertEquals(List.of(ALICE_TCP_PRIVATE), intro.xorAddresses(StunAttributeType.TCP_PRIVATE_ENDPOINT));
        // The UDP attributes stay.
        assertEquals(BOB, answer.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElseThrow());
        assertEquals(ALICE, intro.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElseThrow());
        assertArrayEquals(answer.bytes(StunAttributeType.INTRO_ID).orElseThrow(), intro.bytes(StunAttributeType.INTRO_ID).orElseThrow());

        // A UDP CONNECT (TRANSPORT absent or 0) is as before: no TCP attributes.
        for (Integer udp : Arrays.asList(null, Signaling.TRANSPORT_UDP)) {
            List<Transmit> plain = udp(ALICE, connect("alice", "bob", a, udp));
            for (StunMessage m : List.of(to(plain, ALICE), to(plain, BOB))) {
                assertFalse(m.has(StunAttributeType.TCP_PUBLIC_ENDPOINT), m.toString());
                assertFalse(m.has(StunAttributeType.TRANSPORT), m.toString());
            }
        }
    }

    // --- RELAY-ATTACH ---------------------------------------------------------------------

    private byte[][] introducedPair() {
        byte[] a = registerUdp("alice", ALICE);
        byte[] b = registerUdp("bob", BOB);
        return new byte[][] {a, b};
    }

    @Test
    void theSecondAttachAnswersBothUnderTheirKeysAndSplicesThem() {
        byte[][] keys = introducedPair();
        long intro = introduce(keys[0], null);
        long a = open(ep("192.0.2.1:40100"));
        long b = open(ep("192.0.2.254:40200"));
        byte[] attachA = attach("alice", intro, keys[0]);
        assertEquals(List.of(), send(a, attachA), "the first waits for its partner");
        assertEquals(1, s.pendingStreamCount(), "only b");
        assertEquals(2, s.streamConnectionCount());

        byte[] attachB = attach("bob", intro, keys[1]);
        List<StreamCommand> out = send(b, attachB);
        assertEquals(3, out.size(), out::toString);
        StunMessage okA = decode(assertInstanceOf(Write.class, out.get(0)).bytes());
        StunMessage okB = decode(assertInstanceOf(Write.class, out.get(1)).bytes());
        assertEquals(a, out.get(0).connId());
        assertEquals(b, out.get(1).connId());
        assertEquals(new Splice(a, b), out.get(2));
        assertEquals(StunMethod.RELAY_ATTACH, okA.method());
        assertEquals(StunClass.SUCCESS_RESPONSE, okA.messageClass());
        assertEquals(decode(attachA).transactionId(), okA.transactionId());
        assertEquals(decode(attachB).transactionId(), okB.transactionId());
        assertTrue(okA.checkIntegrity(keys[0]));
        assertTrue(okB.checkIntegrity(keys[1]));
        assertEquals(1, s.stats().relayedStreams());
        assertEquals(0, s.streamConnectionCount(), "spliced connections are the driver's");
        assertEquals(List.of(), send(a, "raw bytes".getBytes(StandardCharsets.UTF_8)), "never fed again, ignored if");
        s.handleStreamClosed(now(), a);
        assertEquals(List.of(), commands());
    }

    @Test
    void bytesSentBeforeTheSpliceAreForwardedWhenItStarts() {
        byte[][] keys = introducedPair();
        long intro = introduce(keys[0], null);
        long a = open(ep("192.0.2.1:40100"));
        long b = open(ep("192.0.2.254:40200"));
        byte[] early = "hello from alice".getBytes(StandardCharsets.UTF_8);
        byte[] attachA = attach("alice", intro, keys[0]);
        assertEquals(List.of(), send(a, ByteBuffer.allocate(attachA.length + early.length).put(attachA).put(early).array()));
        byte[] late = {(byte) 0xFF, 1, 2, 3}; // not STUN: the service no longer parses
        byte[] attachB = attach("bob", intro, keys[1]);
        List<StreamCommand> out = send(b, ByteBuffer.allocate(attachB.length + late.length).put(attachB).put(late).array());
        assertEquals(5, out.size(), out::toString);
        assertEquals(b, out.get(2).connId());
        assertArrayEquals(early, ((Write) out.get(2)).bytes());
        assertEquals(a, out.get(3).connId());
        assertArrayEquals(late, ((Write) out.get(3)).bytes());
        assertEquals(new Splice(a, b), out.get(4));
    }

    @Test
    void tooManyEarlyBytesCloseTheAttachedConnection() {
        byte[][] keys = introducedPair();
        long intro = introduce(keys[0], null);
        long a = open(ALICE_TCP);
        assertEquals(List.of(), send(a, attach("alice", intro, keys[0])));
        assertEquals(List.of(), send(a, new byte[4096]));
        assertClosed(send(a, new byte[1]), a);
        assertEquals(0, s.streamConnectionCount());
    }

    @Test
    void anUnpairedAttachIsClosedAfterTenSeconds() {
        byte[][] keys = introducedPair();
        long intro = introduce(keys[0], null);
        long a = open(ALICE_TCP);
        clock.advance(Duration.ofSeconds(5));
        send(a, attach("alice", intro, keys[0]));
        clock.advance(Duration.ofSeconds(10).minusNanos(1));
        assertEquals(List.of(), timeout());
        clock.advance(Duration.ofNanos(1));
        assertClosed(timeout(), a);
        assertEquals(0, s.streamConnectionCount());
        // Bob arriving late waits alone: alice's attach is gone.
        long b = open(BOB_TCP);
        assertEquals(List.of(), send(b, attach("bob", intro, keys[1])));
        assertEquals(0, s.stats().relayedStreams());
    }

    @Test
    void aRepeatedAttachReplacesTheOlderConnection() {
        byte[][] keys = introducedPair();
        long intro = introduce(keys[0], null);
        long a1 = open(ALICE_TCP);
        long a2 = open(ep("192.0.2.1:40002"));
        long b = open(BOB_TCP);
        assertEquals(List.of(), send(a1, attach("alice", intro, keys[0])));
        assertClosed(send(a2, attach("alice", intro, keys[0])), a1);
        s.handleStreamClosed(now(), a1); // the driver reports the close it made: no effect
        List<StreamCommand> out = send(b, attach("bob", intro, keys[1]));
        assertEquals(new Splice(a2, b), out.get(out.size() - 1));
    }

    @Test
    void attachesThatDoNotBelongAreRefused() {
        byte[][] keys = introducedPair();
        byte[] c = registerUdp("carol", CAROL);
        long intro = introduce(keys[0], null);

        long conn = open(CAROL);
        StunMessage forbidden = written(send(conn, attach("carol", intro, c)), conn);
        assertEquals(403, forbidden.errorCode().orElseThrow());
        assertTrue(forbidden.checkIntegrity(c));

        StunMessage unknown = written(send(conn, attach("carol", intro ^ 1, c)), conn);
        assertEquals(404, unknown.errorCode().orElseThrow());

        long stranger = open(ep("203.0.113.66:4444"));
        StunMessage notRegistered = written(send(stranger, attach("mallory", intro, new byte[16])), stranger);
        assertEquals(Signaling.ERR_NOT_REGISTERED, notRegistered.errorCode().orElseThrow());
        assertFalse(notRegistered.has(StunAttributeType.MESSAGE_INTEGRITY));

        long forger = open(ep("203.0.113.66:4445"));
        assertClosed(send(forger, attach("alice", intro, c)), forger);

        // The registration connection is not a relay.
        long reg = tcpRegistered("alice", keys[0], ALICE_TCP);
        assertEquals(Signaling.ERR_BAD_REQUEST, written(send(reg, attach("alice", intro, keys[0])), reg).errorCode().orElseThrow());
        assertEquals(0, s.stats().relayedStreams());
        assertEquals(2, s.pendingStreamCount(), "refused attaches stay pending, on the handshake timer");
    }

    // --- strangers (RFC 5128 §6.2) --------------------------------------------------------

    @Test
    void aConnectionThatAuthenticatesNothingIsClosedAfterTenSeconds() {
        byte[] a = registerUdp("alice", ALICE);
        long silent = open(ep("203.0.113.1:1000"));
        long binder = open(ep("203.0.113.2:1000"));
        long partial = open(ep("203.0.113.3:1000"));
        long registered = tcpRegistered("alice", a, ALICE_TCP);
        byte[] binding = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, tid()).build().encode();
        assertEquals(1, send(binder, binding).size(), "a Binding is answered over TCP too");
        assertEquals(List.of(), send(partial, Arrays.copyOf(tcpRegister("alice", a), 30)));
        assertEquals(now() + 10 * SECOND, s.nextTimeout());
        clock.advance(Duration.ofSeconds(9));
        assertEquals(1, send(binder, binding).size(), "a Binding does not authenticate");
        clock.advance(Duration.ofSeconds(1).minusNanos(1));
        assertEquals(List.of(), timeout());
        clock.advance(Duration.ofNanos(1));
        List<StreamCommand> out = timeout();
        assertEquals(3, out.size());
        assertTrue(out.containsAll(List.of(new Close(silent), new Close(binder), new Close(partial))), out::toString);
        assertFalse(out.contains(new Close(registered)));
        assertEquals(1, s.streamConnectionCount());
        assertEquals(0, s.pendingStreamCount());
    }

    @Test
    void garbageAndOversizedMessagesCloseTheConnectionAtOnce() {
        byte[] a = registerUdp("alice", ALICE);
        byte[] good = tcpRegister("alice", a);
        List<byte[]> bad = new ArrayList<>();
        bad.add("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)); // first bits 01
        bad.add(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01}); // TLS ClientHello: first byte fine, cookie not
        byte[] badCookie = good.clone();
        badCookie[6] ^= 1;
        bad.add(Arrays.copyOf(badCookie, 7)); // detected before the header is whole
        byte[] oddLength = good.clone();
        oddLength[3] |= 1;
        bad.add(oddLength);
        byte[] oversized = good.clone();
        oversized[2] = (byte) 0x10; // 4096 + 20 bytes
        oversized[3] = 0;
        bad.add(Arrays.copyOf(oversized, 20)); // refused on the header alone
        byte[] undecodable = Arrays.copyOf(good, good.length);
        undecodable[22] = (byte) 0xFF; // first attribute's length beyond the message
        bad.add(undecodable);
        byte[] afterGood = ByteBuffer.allocate(good.length + 4).put(good).put(new byte[] {(byte) 0xD0, 0, 0, 0}).array();
        bad.add(afterGood);
        for (byte[] in : bad) {
            long conn = open(ep("203.0.113.9:2000"));
            List<StreamCommand> out = send(conn, in);
            assertEquals(new Close(conn), out.get(out.size() - 1), () -> "not closed on " + Arrays.toString(in));
            assertEquals(0, s.pendingStreamCount());
            assertEquals(List.of(), send(conn, good), "fed after the close: ignored");
        }
        assertEquals(0, s.streamConnectionCount(), "not even the one that registered before its garbage");

        // The largest allowed message (4096 bytes) is accepted.
        long conn = open(ep("203.0.113.9:2001"));
        byte[] padded = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, tid())
                .addAttribute(Signaling.PADDING, new byte[4096 - 20 - 4]).build().encode();
        assertEquals(4096, padded.length);
        assertEquals(1, send(conn, padded).size());
    }

    @Test
    void connectionsBeyondThePendingCapAreClosedAtOnce() {
        s = new RendezvousService(RendezvousConfig.defaults().withRegistrationLifetime(LIFETIME), new Random(42),
                StreamConfig.defaults().withMaxPendingConnections(3));
        byte[] a = registerUdp("alice", ALICE);
        long c1 = open(ep("203.0.113.1:1"));
        open(ep("203.0.113.1:2"));
        open(ep("203.0.113.1:3"));
        long c4 = open(ep("203.0.113.1:4"));
        assertEquals(List.of(new Close(c4)), commands());
        assertEquals(3, s.streamConnectionCount());
        // Authenticating frees a slot; so does a close.
        send(c1, tcpRegister("alice", a));
        long c5 = open(ep("203.0.113.1:5"));
        assertEquals(List.of(), commands());
        s.handleStreamClosed(now(), c5);
        open(ep("203.0.113.1:6"));
        assertEquals(List.of(), commands());
        long c7 = open(ep("203.0.113.1:7"));
        assertEquals(List.of(new Close(c7)), commands());
    }

    @Test
    void randomBytesNeverLeaveStateBehind() {
        Random r = new Random(7);
        for (int i = 0; i < 500; i++) {
            long conn = open(ep("203.0.113.7:" + (1000 + i)));
            byte[] g = new byte[1 + r.nextInt(200)];
            r.nextBytes(g);
            if (i % 2 == 0 && g.length >= 8) {
                g[0] &= 0x3F;
                ByteBuffer.wrap(g, 4, 4).putInt(StunMessage.MAGIC_COOKIE);
            }
            for (StreamCommand c : send(conn, g)) {
                assertInstanceOf(Close.class, c, "garbage answered");
            }
        }
        clock.advance(Duration.ofSeconds(10));
        timeout();
        assertEquals(0, s.streamConnectionCount());
        assertEquals(0, s.pendingStreamCount());
        assertEquals(Timers.NEVER, s.nextTimeout());
    }
}
