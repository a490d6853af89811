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

/** The long-term credential mechanism (RFC 8489 §9.2.4) and the size rule for answers to strangers. */
class TurnAuthTest {
    private final TurnHarness h = new TurnHarness();

    @Test
    void paddedFirstAllocateGetsA401WithRealmAndNonceNoLargerThanTheRequest() {
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
    void browserSized28ByteAllocateGetsA401WithRealmAndNonce() {
        // A browser's first Allocate: REQUESTED-TRANSPORT alone (RFC 8656 §7.2 needs the 401 to go on).
        byte[] req = TurnHarness.allocateBuilder(h.txn()).build().encode();
        assertEquals(28, req.length);
        int before = h.toClients.size();
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals(401, r.errorCode().getAsInt());
        assertEquals("Unauthorized", r.errorReason().orElseThrow());
        assertEquals(TurnHarness.REALM, r.string(StunAttributeType.REALM).orElseThrow());
        assertTrue(r.has(StunAttributeType.NONCE));
        int sent = h.toClients.get(before).payload().length;
        assertEquals(64, sent);
        assertTrue(sent <= io.p2pnat.core.SourceBudget.sizeLimit(req.length));
        assertEquals(0, h.service.allocationCount(), "no state for an unauthenticated stranger");
    }

    @Test
    void aioiceSized36ByteAllocateGetsReasonAndFingerprint() {
        byte[] req = TurnHarness.allocateBuilder(h.txn()).build().encode(null, true); // 36 bytes, like aioice and pion
        assertEquals(36, req.length);
        int before = h.toClients.size();
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals("Unauthorized", r.errorReason().orElseThrow());
        assertTrue(r.has(StunAttributeType.FINGERPRINT));
        assertEquals(72, h.toClients.get(before).payload().length);
    }

    @Test
    void uclientSized52ByteAllocateGetsTheFull401() {
        // turnutils_uclient -c: REQUESTED-TRANSPORT, LIFETIME, REQUESTED-ADDRESS-FAMILY, FINGERPRINT.
        byte[] req = TurnHarness.allocateBuilder(h.txn())
                .addUint32(StunAttributeType.LIFETIME, 777)
                .addAttribute(StunAttributeType.REQUESTED_ADDRESS_FAMILY, new byte[] {1, 0, 0, 0})
                .build().encode(null, true);
        assertEquals(52, req.length);
        StunMessage r = h.ask(CLIENT_A, req);
        assertEquals(401, r.errorCode().getAsInt());
        assertEquals("Unauthorized", r.errorReason().orElseThrow());
        assertTrue(r.has(StunAttributeType.FINGERPRINT));
    }

    @Test
    void aRealmTooLongForTheSizeRuleDropsTheReasonPhraseFirstThenTheAnswer() {
        // 20 + ERROR-CODE 8 + REALM 4+88 + NONCE 12 = 132 bytes at the least: over the 128-byte ceiling.
        TurnConfig longRealm = TurnConfig.defaults("r".repeat(88), TurnHarness.RELAY_IP).withPorts(50000, 50009);
        TurnHarness strict = new TurnHarness(longRealm);
        byte[] req = TurnHarness.allocateBuilder(strict.txn()).build().encode();
        assertTrue(strict.send(CLIENT_A, req).isEmpty());
        assertEquals(1, strict.service.stats().amplificationDrops());
        // The operator's slack counts the request larger: the answer goes, without the reason phrase.
        TurnHarness lax = new TurnHarness(longRealm.withAmplificationSlack(104));
        StunMessage r = lax.ask(CLIENT_A, TurnHarness.allocateBuilder(lax.txn()).build().encode());
        assertEquals(401, r.errorCode().getAsInt());
        assertEquals("", r.errorReason().orElseThrow());
        // A 76-character realm fits without the reason phrase (120 bytes).
        TurnHarness fits = new TurnHarness(TurnConfig.defaults("r".repeat(76), TurnHarness.RELAY_IP).withPorts(50000, 50009));
        assertEquals("", fits.ask(CLIENT_A, TurnHarness.allocateBuilder(fits.txn()).build().encode()).errorReason().orElseThrow());
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
