package io.p2pnat.core.turn;

import static io.p2pnat.core.turn.TurnHarness.CLIENT_A;
import static io.p2pnat.core.turn.TurnHarness.CLIENT_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The long-term credential mechanism (RFC 8489 §9.2.4) and the amplification rule. */
class TurnAuthTest {
    private final TurnHarness h = new TurnHarness();

    @Test
    void firstAllocateGetsA401WithRealmAndNonceNoLargerThanTheRequest() {
        byte[] req = TurnHarness.allocateBuilder(h.txn())
                .addString(StunAttributeType.SOFTWARE, "a client that pads its first request").build().encode(null, true);
        List<TurnOutput.ToClient> before = List.copyOf(h.toClients);
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals(StunClass.ERROR_RESPONSE, r.messageClass());
        assertEquals(401, r.errorCode().getAsInt());
        assertEquals(TurnHarness.REALM, r.string(StunAttributeType.REALM).orElseThrow());
        assertEquals(8, r.string(StunAttributeType.NONCE).orElseThrow().length());
        byte[] sent = h.toClients.get(before.size()).payload();
        assertTrue(sent.length <= req.length, sent.length + " > " + req.length);
        assertEquals(0, h.service.allocationCount(), "no state for an unauthenticated stranger");
        assertTrue(h.openRelays.isEmpty());
    }

    @Test
    void uclientSized52ByteAllocateGetsTheMinimal52Byte401() {
        // turnutils_uclient -c: REQUESTED-TRANSPORT, LIFETIME, REQUESTED-ADDRESS-FAMILY, FINGERPRINT.
        byte[] req = TurnHarness.allocateBuilder(h.txn())
                .addUint32(StunAttributeType.LIFETIME, 777)
                .addAttribute(StunAttributeType.REQUESTED_ADDRESS_FAMILY, new byte[] {1, 0, 0, 0})
                .build().encode(null, true);
        assertEquals(52, req.length);
        int before = h.toClients.size();
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals(401, r.errorCode().getAsInt());
        assertEquals("", r.errorReason().orElseThrow(), "no room for the reason phrase");
        assertFalse(r.has(StunAttributeType.FINGERPRINT), "no room for FINGERPRINT");
        assertEquals(52, h.toClients.get(before).payload().length);
    }

    @Test
    void uclientSized60ByteAllocateGetsFingerprintButNoReason() {
        byte[] req = TurnHarness.allocateBuilder(h.txn())
                .addUint32(StunAttributeType.LIFETIME, 777)
                .addByte(StunAttributeType.EVEN_PORT, 0x80)
                .addAttribute(StunAttributeType.REQUESTED_ADDRESS_FAMILY, new byte[] {1, 0, 0, 0})
                .build().encode(null, true);
        assertEquals(60, req.length);
        int before = h.toClients.size();
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals("", r.errorReason().orElseThrow());
        assertTrue(r.has(StunAttributeType.FINGERPRINT));
        assertEquals(60, h.toClients.get(before).payload().length);
    }

    @Test
    void slackLetsOperatorsAnswerBareMinimumRequests() {
        TurnHarness lax = new TurnHarness(TurnHarness.config().withAmplificationSlack(24));
        byte[] req = TurnHarness.allocateBuilder(lax.txn()).build().encode(null, true); // 36 bytes, like pion
        assertEquals(36, req.length);
        assertEquals(401, lax.ask(CLIENT_A, req).errorCode().getAsInt());
        assertTrue(h.send(CLIENT_A, req).isEmpty(), "no slack by default");
    }

    @Test
    void roomyRequestsGetReasonPhraseAndFingerprint() {
        byte[] req = TurnHarness.allocateBuilder(h.txn())
                .addString(StunAttributeType.SOFTWARE, "x".repeat(60)).build().encode(null, true);
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals("Unauthorized", r.errorReason().orElseThrow());
        assertTrue(r.has(StunAttributeType.FINGERPRINT));
    }

    @Test
    void tinyUnauthenticatedRequestGetsNoAnswerAtAll() {
        byte[] req = TurnHarness.allocateBuilder(h.txn()).build().encode(); // 28 bytes
        assertEquals(28, req.length);
        assertTrue(h.send(CLIENT_A, req).isEmpty());
        assertEquals(1, h.service.stats().amplificationDrops());
    }

    @Test
    void wrongPasswordAndUnknownUserGet401() {
        StunMessage r = h.ask(CLIENT_A, h.signed(CLIENT_A, TurnHarness.allocateBuilder(h.txn()), "alice", "wrong"));
        assertEquals(401, r.errorCode().getAsInt());
        assertTrue(r.has(StunAttributeType.NONCE));
        r = h.ask(CLIENT_A, h.signed(CLIENT_A, TurnHarness.allocateBuilder(h.txn()), "mallory", "secret"));
        assertEquals(401, r.errorCode().getAsInt());
        assertEquals(0, h.service.allocationCount());
    }

    @Test
    void integrityWithoutUsernameRealmOrNonceIs400() {
        byte[] req = TurnHarness.allocateBuilder(h.txn()).addString(StunAttributeType.USERNAME, "alice")
                .addString(StunAttributeType.SOFTWARE, "padding padding padding padding")
                .build().encode(StunMessage.longTermKey("alice", TurnHarness.REALM, "secret"), false);
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals(400, r.errorCode().getAsInt());
        assertFalse(r.has(StunAttributeType.MESSAGE_INTEGRITY));
    }

    @Test
    void staleNonceGets438WithAFreshNonceThenWorks() {
        String nonce = h.nonceFor(CLIENT_A);
        h.advance(Duration.ofSeconds(601));
        byte[] req = TurnHarness.allocateBuilder(h.txn()).addString(StunAttributeType.USERNAME, "alice")
                .addString(StunAttributeType.REALM, TurnHarness.REALM).addString(StunAttributeType.NONCE, nonce)
                .build().encode(StunMessage.longTermKey("alice", TurnHarness.REALM, "secret"), false);
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals(438, r.errorCode().getAsInt());
        String fresh = r.string(StunAttributeType.NONCE).orElseThrow();
        assertFalse(fresh.equals(nonce));
        assertEquals(1, h.service.stats().staleNonces());
        h.allocate(CLIENT_A);
        assertEquals(1, h.service.allocationCount());
    }

    @Test
    void nonceStaysValidWithinItsWindow() {
        String nonce = h.nonceFor(CLIENT_A);
        h.advance(Duration.ofSeconds(299));
        byte[] req = TurnHarness.allocateBuilder(h.txn()).addString(StunAttributeType.USERNAME, "alice")
                .addString(StunAttributeType.REALM, TurnHarness.REALM).addString(StunAttributeType.NONCE, nonce)
                .build().encode(StunMessage.longTermKey("alice", TurnHarness.REALM, "secret"), false);
        assertEquals(StunClass.SUCCESS_RESPONSE, h.ask(CLIENT_A, req).messageClass());
    }

    @Test
    void nonceIsBoundToTheClientAddress() {
        String nonceOfA = h.nonceFor(CLIENT_A);
        byte[] req = TurnHarness.allocateBuilder(h.txn()).addString(StunAttributeType.USERNAME, "alice")
                .addString(StunAttributeType.REALM, TurnHarness.REALM).addString(StunAttributeType.NONCE, nonceOfA)
                .build().encode(StunMessage.longTermKey("alice", TurnHarness.REALM, "secret"), false);
        assertEquals(438, h.ask(CLIENT_B, req).errorCode().getAsInt());
    }

    @Test
    void successResponsesCarryIntegrityUnderTheUsersKey() {
        StunMessage r = h.ask(CLIENT_A, h.signed(CLIENT_A, TurnHarness.allocateBuilder(h.txn()), "alice", "secret"));
        assertTrue(r.checkIntegrity(StunMessage.longTermKey("alice", TurnHarness.REALM, "secret")));
        assertTrue(r.has(StunAttributeType.FINGERPRINT));
        assertEquals("p2pnat", r.string(StunAttributeType.SOFTWARE).orElseThrow());
    }

    @Test
    void sha256IntegrityIsAcceptedAndAnsweredInKind() {
        String nonce = h.nonceFor(CLIENT_A);
        byte[] key = StunMessage.longTermKey("alice", TurnHarness.REALM, "secret");
        byte[] req = TurnHarness.allocateBuilder(h.txn()).addString(StunAttributeType.USERNAME, "alice")
                .addString(StunAttributeType.REALM, TurnHarness.REALM).addString(StunAttributeType.NONCE, nonce)
                .build().encodeSha256(key, false);
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals(StunClass.SUCCESS_RESPONSE, r.messageClass());
        assertTrue(r.checkIntegritySha256(key));
    }

    @Test
    void unknownMethodIs400AndBounded() {
        byte[] req = StunMessage.builder(StunMethod.TCP_CONNECT, StunClass.REQUEST, h.txn())
                .addString(StunAttributeType.SOFTWARE, "pad").build().encode();
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals(400, r.errorCode().getAsInt());
    }

    @Test
    void hostileBytesNeverThrowAndLeaveNoState() {
        Random rnd = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[rnd.nextInt(120)];
            rnd.nextBytes(b);
            if (b.length > 0 && rnd.nextBoolean()) {
                b[0] = (byte) (0x40 | rnd.nextInt(16)); // ChannelData-looking
            }
            if (b.length >= 20 && rnd.nextBoolean()) {
                b[0] = 0;
                b[1] = 3;
                b[2] = 0;
                b[3] = (byte) ((b.length - 20) & 0xFC);
                System.arraycopy(HexFormat.of().parseHex("2112a442"), 0, b, 4, 4);
            }
            h.service.handleClientInput(h.now(), CLIENT_A, b, 0, b.length);
            h.service.handleRelayInput(h.now(), 50000 + rnd.nextInt(10), TurnHarness.PEER, b, 0, b.length);
            h.pump();
        }
        assertEquals(0, h.service.allocationCount());
        assertTrue(h.toPeers.isEmpty());
        for (TurnOutput.ToClient t : h.toClients) {
            assertTrue(t.payload().length <= 120);
        }
    }

    @Test
    void restCredentialsAllocateUntilTheyExpire() {
        TurnRestCredentials rest = new TurnRestCredentials("north-secret");
        TurnHarness r = new TurnHarness(TurnHarness.config(), TurnCredentials.of(rest));
        String user = TurnRestCredentials.username(r.unix + 3600, "alice");
        assertEquals(StunClass.SUCCESS_RESPONSE,
                r.ask(CLIENT_A, r.signed(CLIENT_A, TurnHarness.allocateBuilder(r.txn()), user, rest.password(user))).messageClass());
        String expired = TurnRestCredentials.username(r.unix - 1, "alice");
        assertEquals(401,
                r.ask(CLIENT_B, r.signed(CLIENT_B, TurnHarness.allocateBuilder(r.txn()), expired, rest.password(expired)))
                        .errorCode().getAsInt());
        assertArrayEquals(StunMessage.longTermKey(user, TurnHarness.REALM, rest.password(user)),
                rest.lookup(user, TurnHarness.REALM, r.unix).key());
    }
}
