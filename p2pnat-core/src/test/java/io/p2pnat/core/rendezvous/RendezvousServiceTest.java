package io.p2pnat.core.rendezvous;

import static io.p2pnat.core.testnet.TestNet.ep;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The rendezvous server S as a state machine: bytes and time in, bytes out (RFC 5128 §3.3, §6.2). */
class RendezvousServiceTest {
    private static final InetSocketAddress ALICE = ep("192.0.2.1:1234");
    private static final InetSocketAddress BOB = ep("192.0.2.254:1234");
    private static final InetSocketAddress ALICE_PRIVATE = ep("10.0.0.1:1234");
    private static final InetSocketAddress BOB_PRIVATE = ep("10.1.1.3:1234");
    private static final long LIFETIME = Duration.ofSeconds(10).toNanos();

    private final Random rnd = new Random(5128);
    private RendezvousService s = service(RendezvousConfig.defaults().withRegistrationLifetime(Duration.ofSeconds(10)));
    private long now = 1_000_000_000L;

    private RendezvousService service(RendezvousConfig config) {
        return new RendezvousService(config, new Random(42));
    }

    // --- helpers --------------------------------------------------------------------------

    private List<Transmit> feed(InetSocketAddress from, byte[] bytes) {
        s.handleInput(now, from, bytes, 0, bytes.length);
        return drain();
    }

    private List<Transmit> timeout() {
        s.handleTimeout(now);
        return drain();
    }

    private List<Transmit> drain() {
        List<Transmit> out = new ArrayList<>();
        for (Transmit t = s.pollTransmit(); t != null; t = s.pollTransmit()) {
            out.add(t);
        }
        return out;
    }

    private static StunMessage decode(Transmit t) {
        try {
            return StunMessage.decode(t.payload());
        } catch (StunParseException e) {
            throw new AssertionError("server sent malformed STUN", e);
        }
    }

    private static StunMessage only(List<Transmit> out, InetSocketAddress to) {
        assertEquals(1, out.size(), () -> "expected one answer, got " + out.size());
        assertEquals(to, out.get(0).destination());
        return decode(out.get(0));
    }

    /** The server's identity-proof key, from its last cookie challenge. */
    private byte[] serverKey;

    private TransactionId tid() {
        return TransactionId.random(rnd);
    }

    /** A REGISTER as the peer agent builds it; padded to {@link Signaling#MIN_REGISTER_SIZE} if asked. */
    private byte[] register(String id, byte[] cookie, boolean pad, InetSocketAddress... privates) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, id);
        for (InetSocketAddress p : privates) {
            b.addXorAddress(StunAttributeType.PRIVATE_ENDPOINT, p);
        }
        if (cookie != null) {
            b.addAttribute(StunAttributeType.COOKIE, cookie);
            if (serverKey != null) {
                TestKeys.prove(b, id, cookie, serverKey);
            }
        }
        int size = b.build().encode(null, true).length;
        if (pad && size < Signaling.MIN_REGISTER_SIZE) {
            b.addAttribute(Signaling.PADDING, new byte[Signaling.MIN_REGISTER_SIZE - size - 4]);
        }
        return b.build().encode(null, true);
    }

    /** Signed request of a registered (or pretending) peer. */
    private byte[] signed(int method, String id, String target, byte[] key) {
        StunMessage.Builder b = StunMessage.builder(method, StunClass.REQUEST, tid()).addString(StunAttributeType.PEER_ID, id);
        if (target != null) {
            b.addString(StunAttributeType.TARGET_ID, target);
        }
        return b.build().encode(key, true);
    }

    private byte[] cookieFor(String id, InetSocketAddress from, InetSocketAddress... privates) {
        StunMessage challenge = only(feed(from, register(id, null, true, privates)), from);
        serverKey = challenge.bytes(StunAttributeType.SERVER_KEY).orElse(null);
        return challenge.bytes(StunAttributeType.COOKIE).orElseThrow();
    }

    /** Registers through the cookie exchange; returns the session key. */
    private byte[] registerPeer(String id, InetSocketAddress from, InetSocketAddress... privates) {
        byte[] cookie = cookieFor(id, from, privates);
        StunMessage ok = only(feed(from, register(id, cookie, true, privates)), from);
        assertEquals(StunClass.SUCCESS_RESPONSE, ok.messageClass(), () -> "REGISTER refused: " + ok.errorReason());
        return TestKeys.sessionKey(ok, id, serverKey);
    }

    // --- binding --------------------------------------------------------------------------

    @Test
    void bindingIsAnsweredWithTheSourceAsXorMappedAddress() {
        TransactionId id = tid();
        byte[] req = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, id).build().encode();
        StunMessage resp = only(feed(ALICE, req), ALICE);
        assertEquals(StunMethod.BINDING, resp.method());
        assertEquals(StunClass.SUCCESS_RESPONSE, resp.messageClass());
        assertEquals(id, resp.transactionId());
        assertEquals(ALICE, resp.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
        assertEquals(0, s.registrationCount(), "a Binding creates no state");
    }

    // --- registration ---------------------------------------------------------------------

    @Test
    void registerWithoutCookieGetsAStatelessChallengeNoLargerThanTheRequest() {
        byte[] req = register("alice", null, true, ALICE_PRIVATE);
        List<Transmit> out = feed(ALICE, req);
        StunMessage challenge = only(out, ALICE);
        assertEquals(StunClass.ERROR_RESPONSE, challenge.messageClass());
        assertEquals(Signaling.ERR_COOKIE_REQUIRED, challenge.errorCode().orElseThrow());
        assertTrue(challenge.has(StunAttributeType.COOKIE), "401 must carry the cookie");
        assertTrue(out.get(0).payload().length <= req.length,
                "challenge of " + out.get(0).payload().length + " B for a request of " + req.length + " B");
        assertEquals(0, s.registrationCount(), "no state before the round trip is proven (RFC 5128 §6.2)");
        assertEquals(Timers.NEVER, s.nextTimeout(), "no timer either");
    }

    @Test
    void unpaddedRegisterGetsItsChallengeWithinTheSizeRule() {
        byte[] req = register("alice", null, false);
        assertTrue(req.length < Signaling.MIN_REGISTER_SIZE, "test needs an unpadded request, got " + req.length);
        List<Transmit> out = feed(ALICE, req);
        assertEquals(1, out.size());
        assertTrue(out.get(0).payload().length > req.length, "the challenge is the larger one here");
        assertTrue(out.get(0).payload().length <= io.p2pnat.core.SourceBudget.sizeLimit(req.length));
        assertEquals(0, s.registrationCount(), "still no state before the round trip is proven");
    }

    @Test
    void registerWithCookieSucceedsWithSessionKeyAndObservedEndpoint() {
        byte[] cookie = cookieFor("alice", ALICE, ALICE_PRIVATE);
        StunMessage ok = only(feed(ALICE, register("alice", cookie, true, ALICE_PRIVATE)), ALICE);
        assertEquals(StunMethod.REGISTER, ok.method());
        assertEquals(StunClass.SUCCESS_RESPONSE, ok.messageClass());
        byte[] key = TestKeys.sessionKey(ok, "alice", serverKey);
        assertTrue(key.length >= 16, "session key of " + key.length + " bytes");
        assertFalse(ok.checkIntegrity(ok.bytes(StunAttributeType.SESSION_KEY).orElseThrow()),
                "the session key travels sealed to the peer's identity key, not in the clear");
        assertTrue(ok.checkIntegrity(key), "success is integrity-protected with the new session key");
        assertEquals(ALICE, ok.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
        assertEquals(10, ok.uint32(StunAttributeType.LIFETIME_SECONDS).orElseThrow());
        assertEquals(1, s.registrationCount());
    }

    @Test
    void cookieReplayedFromAnotherAddressIsNotAccepted() {
        byte[] cookie = cookieFor("alice", ALICE, ALICE_PRIVATE);
        InetSocketAddress elsewhere = ep("198.51.100.7:4444");
        StunMessage answer = only(feed(elsewhere, register("alice", cookie, true, ALICE_PRIVATE)), elsewhere);
        assertEquals(StunClass.ERROR_RESPONSE, answer.messageClass());
        assertEquals(Signaling.ERR_COOKIE_REQUIRED, answer.errorCode().orElseThrow());
        assertFalse(answer.has(StunAttributeType.SESSION_KEY));
        assertEquals(0, s.registrationCount());
        // Same source port, other IP, and same IP, other port: both bound into the cookie.
        for (InetSocketAddress other : List.of(ep("192.0.2.2:1234"), ep("192.0.2.1:1235"))) {
            assertEquals(Signaling.ERR_COOKIE_REQUIRED,
                    only(feed(other, register("alice", cookie, true)), other).errorCode().orElseThrow());
        }
        assertEquals(0, s.registrationCount());
    }

    // --- lifetime -------------------------------------------------------------------------

    @Test
    void registrationExpiresAfterItsLifetimeWithoutKeepalives() {
        registerPeer("alice", ALICE, ALICE_PRIVATE);
        long registeredAt = now;
        assertTrue(s.nextTimeout() <= registeredAt + LIFETIME, "the service must ask to be woken for the expiry");
        now = registeredAt + LIFETIME - 1;
        timeout();
        assertEquals(1, s.registrationCount());
        now = registeredAt + LIFETIME;
        timeout();
        assertEquals(0, s.registrationCount());
    }

    @Test
    void keepalivesHoldARegistrationPastItsLifetime() {
        byte[] key = registerPeer("alice", ALICE, ALICE_PRIVATE);
        for (int i = 0; i < 8; i++) { // 40 s, four lifetimes
            now += LIFETIME / 2;
            timeout();
            assertEquals(1, s.registrationCount(), "expired at keepalive " + i);
            StunMessage ok = only(feed(ALICE, signed(StunMethod.KEEPALIVE, "alice", null, key)), ALICE);
            assertEquals(StunClass.SUCCESS_RESPONSE, ok.messageClass());
            assertTrue(ok.checkIntegrity(key));
            assertEquals(ALICE, ok.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
        }
        long last = now;
        now = last + LIFETIME - 1;
        timeout();
        assertEquals(1, s.registrationCount());
        now = last + LIFETIME;
        timeout();
        assertEquals(0, s.registrationCount(), "without keepalives it lapses one lifetime after the last");
    }

    @Test
    void forgedKeepaliveIsDroppedAndDoesNotExtendTheRegistration() {
        registerPeer("alice", ALICE, ALICE_PRIVATE);
        long registeredAt = now;
        byte[] wrongKey = new byte[16];
        rnd.nextBytes(wrongKey);
        now = registeredAt + LIFETIME - 1_000_000_000L;
        assertEquals(List.of(), feed(ALICE, signed(StunMethod.KEEPALIVE, "alice", null, wrongKey)));
        assertEquals(List.of(), feed(ALICE, signed(StunMethod.KEEPALIVE, "alice", null, null)), "unsigned");
        now = registeredAt + LIFETIME;
        timeout();
        assertEquals(0, s.registrationCount());
    }

    @Test
    void authenticatedKeepaliveFromANewMappingMovesThePublicEndpoint() {
        byte[] a = registerPeer("alice", ALICE, ALICE_PRIVATE);
        byte[] b = registerPeer("bob", BOB, BOB_PRIVATE);
        InetSocketAddress rebound = ep("192.0.2.1:40000");
        assertEquals(StunClass.SUCCESS_RESPONSE,
                only(feed(rebound, signed(StunMethod.KEEPALIVE, "alice", null, a)), rebound).messageClass());
        StunMessage found = only(feed(BOB, signed(StunMethod.LOOKUP, "bob", "alice", b)), BOB);
        assertTrue(found.checkIntegrity(b));
        assertEquals(rebound, found.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElseThrow());
        assertEquals(List.of(ALICE_PRIVATE), found.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT));
    }

    @Test
    void anIdIsBoundToTheFirstKeyThatRegistersItAndAKeylessOrUnprovenRegisterIsRefused() {
        registerPeer("alice", ALICE, ALICE_PRIVATE);
        // Mallory, from her own address, with a valid cookie and a valid proof of HER key.
        InetSocketAddress mallory = ep("192.0.2.66:1234");
        byte[] cookie = cookieFor("alice", mallory);
        io.p2pnat.core.secure.Identity m = io.p2pnat.core.secure.Identity.insecureForTests("mallory");
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, "alice")
                .addAttribute(StunAttributeType.COOKIE, cookie)
                .addAttribute(StunAttributeType.STATIC_KEY, m.publicKey())
                .addAttribute(StunAttributeType.KEY_PROOF, KeyProofs.proof(m, serverKey, cookie, "alice"))
                .addAttribute(Signaling.PADDING, new byte[64]);
        StunMessage refused = only(feed(mallory, b.build().encode(null, true)), mallory);
        assertEquals(Signaling.ERR_KEY_MISMATCH, refused.errorCode().orElseThrow());
        // Alice's own key without the proof (e.g. a replay with a stale cookie's proof): refused.
        byte[] cookie2 = cookieFor("alice", mallory);
        StunMessage.Builder noProof = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, "alice")
                .addAttribute(StunAttributeType.COOKIE, cookie2)
                .addAttribute(StunAttributeType.STATIC_KEY, io.p2pnat.core.secure.Identity.insecureForTests("alice").publicKey())
                .addAttribute(StunAttributeType.KEY_PROOF, new byte[32])
                .addAttribute(Signaling.PADDING, new byte[64]);
        StunMessage bad = only(feed(mallory, noProof.build().encode(null, true)), mallory);
        assertEquals(Signaling.ERR_BAD_REQUEST, bad.errorCode().orElseThrow());
        assertEquals(1, s.registrationCount(), "alice stays alice's");
    }

    /** An identity store in memory, as a file would be across a restart; it can be made to fail. */
    private static final class MemoryStore implements IdentityStore {
        final java.util.Map<String, byte[]> kept = new java.util.LinkedHashMap<>();
        boolean failing;

        @Override
        public java.util.Map<String, byte[]> load() {
            return new java.util.LinkedHashMap<>(kept);
        }

        @Override
        public void bound(String peerId, byte[] key) throws java.io.IOException {
            if (failing) {
                throw new java.io.IOException("disk full");
            }
            kept.put(peerId, key);
        }
    }

    /** Mallory's REGISTER for {@code id} from her own address, with a valid cookie and a valid proof of HER key. */
    private StunMessage malloryRegisters(String id) {
        InetSocketAddress mallory = ep("192.0.2.66:1234");
        byte[] cookie = cookieFor(id, mallory);
        io.p2pnat.core.secure.Identity m = io.p2pnat.core.secure.Identity.insecureForTests("mallory");
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, id)
                .addAttribute(StunAttributeType.COOKIE, cookie)
                .addAttribute(StunAttributeType.STATIC_KEY, m.publicKey())
                .addAttribute(StunAttributeType.KEY_PROOF, KeyProofs.proof(m, serverKey, cookie, id))
                .addAttribute(Signaling.PADDING, new byte[64]);
        return only(feed(mallory, b.build().encode(null, true)), mallory);
    }

    @Test
    void aKeptBindingOutlivesARestart() throws Exception {
        MemoryStore store = new MemoryStore();
        assertEquals(0, s.keepIdentitiesIn(store, 100));
        registerPeer("alice", ALICE, ALICE_PRIVATE);
        assertEquals(List.of("alice"), List.copyOf(store.kept.keySet()), "the new binding was kept");
        // A restart: a new service (new server key, no registrations) loads the store.
        s = service(RendezvousConfig.defaults().withRegistrationLifetime(Duration.ofSeconds(10)));
        assertEquals(1, s.keepIdentitiesIn(store, 100));
        assertEquals(1, s.boundIdentityCount());
        assertEquals(Signaling.ERR_KEY_MISMATCH, malloryRegisters("alice").errorCode().orElseThrow(),
                "alice is still bound to alice's key");
        assertEquals(0, s.registrationCount());
        registerPeer("alice", ALICE, ALICE_PRIVATE); // alice herself gets back in
        assertEquals(1, s.registrationCount());
        assertEquals(1, store.kept.size(), "a known binding is not written again");
    }

    @Test
    void aBindingTheStoreDoesNotKeepIsRefusedNotBoundInMemoryOnly() throws Exception {
        MemoryStore store = new MemoryStore();
        s.keepIdentitiesIn(store, 1);
        store.failing = true;
        StunMessage refused = malloryRegisters("alice");
        assertEquals(Signaling.ERR_CAPACITY, refused.errorCode().orElseThrow(), refused.errorReason().orElse(""));
        assertTrue(s.identityStoreError().contains("disk full"), s.identityStoreError());
        assertEquals(0, s.registrationCount());
        assertEquals(0, s.boundIdentityCount(), "nothing bound that the store did not keep");
        assertEquals(1, s.stats().identitiesNotKept());
        store.failing = false;
        registerPeer("alice", ALICE, ALICE_PRIVATE); // the real alice, once the store works again
        // The store holds at most one id: a new one is refused, a known one still registers.
        assertEquals(Signaling.ERR_CAPACITY, malloryRegisters("mallory").errorCode().orElseThrow());
        assertTrue(s.identityStoreError().contains("full"), s.identityStoreError());
        assertEquals(List.of("alice"), List.copyOf(store.kept.keySet()));
    }

    @Test
    void aReplayedKeepaliveFromElsewhereCannotMoveTheRegistrationButARetransmissionIsAnswered() {
        byte[] a = registerPeer("alice", ALICE, ALICE_PRIVATE);
        byte[] b = registerPeer("bob", BOB, BOB_PRIVATE);
        byte[] keepalive = signed(StunMethod.KEEPALIVE, "alice", null, a);
        StunMessage first = only(feed(ALICE, keepalive), ALICE);
        // The same datagram again from alice: a retransmission, answered the same way.
        assertArrayEquals(first.rawBytes().orElseThrow(), only(feed(ALICE, keepalive), ALICE).rawBytes().orElseThrow());
        // The same datagram from an on-path attacker's address (RFC 5128 §6.3): dropped.
        InetSocketAddress attacker = ep("192.0.2.66:1234");
        assertEquals(List.of(), feed(attacker, keepalive));
        StunMessage found = only(feed(BOB, signed(StunMethod.LOOKUP, "bob", "alice", b)), BOB);
        assertEquals(ALICE, found.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElseThrow(),
                "introductions still go to alice, not to the attacker");
    }

    // --- introductions --------------------------------------------------------------------

    @Test
    void connectToUnknownPeerIsAnsweredWithIntegrityProtected404() {
        byte[] key = registerPeer("alice", ALICE, ALICE_PRIVATE);
        StunMessage err = only(feed(ALICE, signed(StunMethod.CONNECT, "alice", "carol", key)), ALICE);
        assertEquals(StunClass.ERROR_RESPONSE, err.messageClass());
        assertEquals(Signaling.ERR_UNKNOWN_PEER, err.errorCode().orElseThrow());
        assertTrue(err.checkIntegrity(key), "an authenticated dialer gets an authenticated answer");
        assertEquals(0, s.pendingIntroductionCount());
    }

    @Test
    void connectIntroducesBothSidesWithTheSameCredentials() {
        byte[] a = registerPeer("alice", ALICE, ALICE_PRIVATE);
        byte[] b = registerPeer("bob", BOB, BOB_PRIVATE, ep("10.1.1.4:1234"));
        List<Transmit> out = feed(ALICE, signed(StunMethod.CONNECT, "alice", "bob", a));
        assertEquals(2, out.size());
        Transmit toBob = out.stream().filter(t -> t.destination().equals(BOB)).findFirst().orElseThrow();
        Transmit toAlice = out.stream().filter(t -> t.destination().equals(ALICE)).findFirst().orElseThrow();

        StunMessage answer = decode(toAlice);
        assertEquals(StunMethod.CONNECT, answer.method());
        assertEquals(StunClass.SUCCESS_RESPONSE, answer.messageClass());
        assertTrue(answer.checkIntegrity(a));
        assertEquals(BOB, answer.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElseThrow());
        assertEquals(List.of(BOB_PRIVATE, ep("10.1.1.4:1234")), answer.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT));

        StunMessage intro = decode(toBob);
        assertEquals(StunMethod.INTRODUCE, intro.method());
        assertEquals(StunClass.REQUEST, intro.messageClass());
        assertTrue(intro.checkIntegrity(b), "INTRODUCE is signed with the target's session key");
        assertEquals("alice", intro.string(StunAttributeType.PEER_ID).orElseThrow());
        assertEquals(ALICE, intro.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElseThrow());
        assertEquals(List.of(ALICE_PRIVATE), intro.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT));

        byte[] introId = answer.bytes(StunAttributeType.INTRO_ID).orElseThrow();
        byte[] introKey = answer.bytes(StunAttributeType.INTRO_KEY).orElseThrow();
        assertEquals(8, introId.length);
        assertTrue(introKey.length >= 16);
        assertArrayEquals(introId, intro.bytes(StunAttributeType.INTRO_ID).orElseThrow());
        assertArrayEquals(introKey, intro.bytes(StunAttributeType.INTRO_KEY).orElseThrow());
        assertFalse(Arrays.equals(introKey, a) || Arrays.equals(introKey, b), "fresh credentials, not a session key");
        assertEquals(Signaling.ROLE_DIALER, answer.byteValue(StunAttributeType.ROLE).orElseThrow());
        assertEquals(Signaling.ROLE_LISTENER, intro.byteValue(StunAttributeType.ROLE).orElseThrow());

        // A second introduction gets new credentials.
        StunMessage again = decode(feed(ALICE, signed(StunMethod.CONNECT, "alice", "bob", a)).stream()
                .filter(t -> t.destination().equals(ALICE)).findFirst().orElseThrow());
        assertFalse(Arrays.equals(introKey, again.bytes(StunAttributeType.INTRO_KEY).orElseThrow()));
    }

    @Test
    void introduceIsRetransmittedUntilAcknowledged() {
        byte[] a = registerPeer("alice", ALICE, ALICE_PRIVATE);
        byte[] b = registerPeer("bob", BOB, BOB_PRIVATE);
        byte[] first = feed(ALICE, signed(StunMethod.CONNECT, "alice", "bob", a)).stream()
                .filter(t -> t.destination().equals(BOB)).findFirst().orElseThrow().payload();
        assertEquals(1, s.pendingIntroductionCount());

        int retransmissions = 0;
        for (int i = 0; i < 2; i++) {
            long due = s.nextTimeout();
            assertTrue(due > now && due <= now + Duration.ofSeconds(1).toNanos(), "retransmission timer armed");
            now = due;
            List<Transmit> out = timeout();
            assertEquals(1, out.size());
            assertEquals(BOB, out.get(0).destination());
            assertArrayEquals(first, out.get(0).payload(), "the same request, same transaction");
            retransmissions++;
        }
        assertEquals(2, retransmissions);

        StunMessage intro = decode(new Transmit(BOB, first));
        byte[] ack = StunMessage.builder(StunMethod.INTRODUCE, StunClass.SUCCESS_RESPONSE, intro.transactionId())
                .build().encode(b, true);
        assertEquals(List.of(), feed(BOB, ack));
        assertEquals(0, s.pendingIntroductionCount());
        for (int i = 0; i < 20; i++) {
            now += Duration.ofMillis(500).toNanos();
            assertEquals(List.of(), timeout(), "retransmitted after the ack");
        }
    }

    @Test
    void unacknowledgedIntroduceGivesUpAfterAFewTries() {
        byte[] a = registerPeer("alice", ALICE, ALICE_PRIVATE);
        registerPeer("bob", BOB, BOB_PRIVATE);
        feed(ALICE, signed(StunMethod.CONNECT, "alice", "bob", a));
        int sends = 1;
        for (int i = 0; i < 100 && s.pendingIntroductionCount() > 0; i++) {
            now = Math.max(now, Math.min(s.nextTimeout(), now + Duration.ofSeconds(1).toNanos()));
            sends += (int) timeout().stream().filter(t -> t.destination().equals(BOB)).count();
        }
        assertEquals(0, s.pendingIntroductionCount());
        assertTrue(sends >= 3 && sends <= 8, "sent " + sends + " times");
    }

    // --- native relay (§3.1, §6.2) --------------------------------------------------------

    private static final InetSocketAddress CAROL = ep("198.51.100.20:1234");

    /** Introduces alice to bob and returns the session (introduction) id. */
    private long introduce(byte[] aliceKey) {
        StunMessage answer = decode(feed(ALICE, signed(StunMethod.CONNECT, "alice", "bob", aliceKey)).stream()
                .filter(t -> t.destination().equals(ALICE)).findFirst().orElseThrow());
        return java.nio.ByteBuffer.wrap(answer.bytes(StunAttributeType.INTRO_ID).orElseThrow()).getLong();
    }

    private static byte[] relayFrame(long session, String payload) {
        byte[] p = payload.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.nio.ByteBuffer.allocate(9 + p.length).put(Signaling.RELAY_FRAME).putLong(session).put(p).array();
    }

    @Test
    void relayForwardsAFrameUnchangedBetweenThePeersOfItsIntroductionOnly() {
        byte[] a = registerPeer("alice", ALICE, ALICE_PRIVATE);
        registerPeer("bob", BOB, BOB_PRIVATE);
        long session = introduce(a);
        assertEquals(1, s.relaySessionCount());

        byte[] toBob = relayFrame(session, "hello bob");
        List<Transmit> out = feed(ALICE, toBob);
        assertEquals(1, out.size());
        assertEquals(BOB, out.get(0).destination());
        assertArrayEquals(toBob, out.get(0).payload(), "forwarded unchanged");
        byte[] toAlice = relayFrame(session, "hello alice");
        out = feed(BOB, toAlice);
        assertEquals(1, out.size());
        assertEquals(ALICE, out.get(0).destination());
        assertArrayEquals(toAlice, out.get(0).payload());
        assertEquals(2, s.stats().relayedPackets());
        assertEquals(toBob.length + toAlice.length, s.stats().relayedBytes());
    }

    /**
     * Every introduction gets a relay session, but most go direct and never relay a byte: those
     * are dropped after a minute, while a session that relayed lives until idle for the full
     * idle timeout, so the table holds a minute of introductions, not two.
     */
    @Test
    void relaySessionsThatNeverRelayedExpireAfterAMinute() {
        byte[] a = registerPeer("alice", ALICE, ALICE_PRIVATE);
        registerPeer("bob", BOB, BOB_PRIVATE);
        long used = introduce(a);
        introduce(a);
        assertEquals(2, s.relaySessionCount());
        assertEquals(1, feed(ALICE, relayFrame(used, "via the relay")).size());
        long start = now;
        for (now = start; now <= start + Duration.ofSeconds(61).toNanos(); now += Duration.ofSeconds(5).toNanos()) {
            timeout();
        }
        assertEquals(1, s.relaySessionCount(), "the unused session is gone, the used one stays");
        for (; now <= start + Duration.ofSeconds(125).toNanos(); now += Duration.ofSeconds(5).toNanos()) {
            timeout();
        }
        assertEquals(0, s.relaySessionCount(), "idle for the full idle timeout: gone too");
    }

    /**
     * RFC 5128 §6.2: the relay carries only sessions S created by an introduction, and only for
     * the two peers of that introduction at their registered endpoints. A third registered peer, an
     * unregistered address (even on a peer's IP, or a peer's private endpoint) and an unknown
     * session id all get nothing forwarded and nothing answered.
     */
    @Test
    void relayDropsFramesFromStrangersThirdPeersAndForUnknownSessions() {
        byte[] a = registerPeer("alice", ALICE, ALICE_PRIVATE);
        registerPeer("bob", BOB, BOB_PRIVATE);
        byte[] c = registerPeer("carol", CAROL);
        long session = introduce(a);
        // carol has a session of her own with alice: it must not open alice-bob's, nor reach bob.
        StunMessage carolsIntro = decode(feed(CAROL, signed(StunMethod.CONNECT, "carol", "alice", c)).stream()
                .filter(t -> t.destination().equals(CAROL)).findFirst().orElseThrow());
        long carolsSession = java.nio.ByteBuffer.wrap(carolsIntro.bytes(StunAttributeType.INTRO_ID).orElseThrow()).getLong();
        long dropped = s.stats().dropped();

        record Attempt(String what, InetSocketAddress from, long session) {
        }
        List<Attempt> attempts = List.of(
                new Attempt("third registered peer on alice-bob's session", CAROL, session),
                new Attempt("unregistered address", ep("203.0.113.66:4444"), session),
                new Attempt("alice's IP, another port", ep("192.0.2.1:1235"), session),
                new Attempt("alice's private endpoint", ALICE_PRIVATE, session),
                new Attempt("alice, unknown session", ALICE, session ^ 1),
                new Attempt("alice, session 0", ALICE, 0),
                new Attempt("bob on carol's session", BOB, carolsSession),
                new Attempt("unregistered address, unknown session", ep("203.0.113.66:4444"), rnd.nextLong()));
        for (Attempt at : attempts) {
            assertEquals(List.of(), feed(at.from(), relayFrame(at.session(), "x".repeat(200))), at.what());
        }
        assertEquals(0, s.stats().relayedPackets(), "nothing relayed");
        assertEquals(0, s.stats().relayedBytes());
        assertEquals(dropped + attempts.size(), s.stats().dropped(), "each counted as dropped");
        assertEquals(2, s.relaySessionCount(), "no session created by a frame");

        // Control: the real peers still use their sessions.
        List<Transmit> ok = feed(ALICE, relayFrame(session, "ok"));
        assertEquals(List.of(BOB), ok.stream().map(Transmit::destination).toList());
        ok = feed(CAROL, relayFrame(carolsSession, "ok"));
        assertEquals(List.of(ALICE), ok.stream().map(Transmit::destination).toList());
        assertEquals(2, s.stats().relayedPackets());
    }

    @Test
    void relaySessionEndsWithARegistration() {
        byte[] a = registerPeer("alice", ALICE, ALICE_PRIVATE);
        registerPeer("bob", BOB, BOB_PRIVATE);
        long session = introduce(a);
        now += LIFETIME;
        timeout();
        assertEquals(0, s.registrationCount());
        assertEquals(List.of(), feed(ALICE, relayFrame(session, "late")), "relayed for an expired registration");
        assertEquals(0, s.stats().relayedPackets());
    }

    // --- robustness -----------------------------------------------------------------------

    @Test
    void garbageAndTruncatedStunProduceNoOutputAndNoState() {
        Random r = new Random(1);
        List<byte[]> inputs = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            byte[] g = new byte[r.nextInt(300)];
            r.nextBytes(g);
            if (i % 2 == 0 && g.length >= 8) {
                g[0] &= 0x3F; // looks more like STUN
                g[4] = 0x21;
                g[5] = 0x12;
                g[6] = (byte) 0xA4;
                g[7] = 0x42;
            }
            inputs.add(g);
        }
        byte[] full = register("alice", null, true, ALICE_PRIVATE);
        for (int len = 0; len < full.length; len++) {
            inputs.add(Arrays.copyOf(full, len));
        }
        byte[] binding = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, tid()).build().encode(null, true);
        for (int len = 0; len < binding.length; len++) {
            inputs.add(Arrays.copyOf(binding, len));
        }
        for (byte[] in : inputs) {
            assertEquals(List.of(), feed(ALICE, in), () -> "answered " + Arrays.toString(in));
        }
        assertEquals(0, s.registrationCount());
        assertEquals(0, s.pendingIntroductionCount());
        assertEquals(Timers.NEVER, s.nextTimeout());
        assertEquals(inputs.size(), s.stats().dropped());
    }

    /**
     * No useful reflection amplification (RFC 5128 §6.2): over every kind of request an
     * unauthenticated source can send, each answer is within the size rule of
     * {@link io.p2pnat.core.SourceBudget} (at most 5x the request and 128 bytes).
     */
    @Test
    void unauthenticatedRequestsAreAnsweredWithinTheSizeRule() {
        s = service(RendezvousConfig.defaults().withMaxRegistrations(1));
        registerPeer("bob", BOB, BOB_PRIVATE);
        byte[] stranger = new byte[16];
        rnd.nextBytes(stranger);
        byte[] aliceCookie = cookieFor("alice", ALICE);
        InetSocketAddress[] tooMany = new InetSocketAddress[Signaling.MAX_PRIVATE_ENDPOINTS + 1];
        for (int i = 0; i < tooMany.length; i++) {
            tooMany[i] = ep("10.0.0." + (i + 1) + ":1234");
        }
        byte[] tooManyCookie = cookieFor("eve", ALICE, tooMany);
        List<byte[]> requests = new ArrayList<>(List.of(
                register("alice", null, true, ALICE_PRIVATE),
                register("alice", null, false),
                register("x", null, false),
                register("bad id!", null, true),
                register("bad id!", null, false),
                register("alice", new byte[16], true),
                register("alice", aliceCookie, true), // cookie fine, but the server is full (508)
                register("eve", tooManyCookie, true, tooMany),
                signed(StunMethod.KEEPALIVE, "mallory", null, stranger),
                signed(StunMethod.CONNECT, "mallory", "bob", stranger),
                signed(StunMethod.LOOKUP, "mallory", "bob", stranger),
                signed(StunMethod.KEEPALIVE, "bob", null, stranger), // known id, wrong key
                signed(StunMethod.CONNECT, "bob", "bob", stranger),
                StunMessage.builder(StunMethod.KEEPALIVE, StunClass.REQUEST, tid()).build().encode(),
                StunMessage.builder(StunMethod.CONNECT, StunClass.REQUEST, tid()).build().encode(),
                StunMessage.builder(StunMethod.LOOKUP, StunClass.REQUEST, tid()).build().encode(),
                StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid()).build().encode(),
                StunMessage.builder(StunMethod.ALLOCATE, StunClass.REQUEST, tid()).build().encode(),
                StunMessage.builder(StunMethod.INTRODUCE, StunClass.SUCCESS_RESPONSE, tid()).build().encode(),
                relayFrame(rnd.nextLong(), 100)));
        long in = 0;
        long out = 0;
        int answered = 0;
        for (byte[] req : requests) {
            List<Transmit> answers = feed(ALICE, req);
            int bytes = answers.stream().mapToInt(t -> t.payload().length).sum();
            String what = describe(req);
            assertTrue(bytes <= io.p2pnat.core.SourceBudget.sizeLimit(req.length),
                    () -> what + ": " + req.length + " B in, " + bytes + " B out");
            in += req.length;
            out += bytes;
            answered += answers.isEmpty() ? 0 : 1;
        }
        assertTrue(out <= (long) io.p2pnat.core.SourceBudget.MAX_RATIO * in, "amplification " + out + "/" + in);
        assertTrue(answered >= 5, "the test should see real answers, not only silence: " + answered);
        assertEquals(1, s.registrationCount(), "only bob");
    }

    /** A native relay frame ([0xD2][session id][payload]) for a session S never made. */
    private static byte[] relayFrame(long session, int payload) {
        return java.nio.ByteBuffer.allocate(9 + payload).put(Signaling.RELAY_FRAME).putLong(session).array();
    }

    private static String describe(byte[] req) {
        try {
            return StunMessage.decode(req).toString();
        } catch (StunParseException e) {
            return "undecodable";
        }
    }
}
