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
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Allocate (RFC 8656 §7.2), Refresh (§8.2), lifetimes and quotas. */
class TurnAllocationTest {
    private final TurnHarness h = new TurnHarness();

    private StunMessage allocate(InetSocketAddress from, java.util.function.Consumer<StunMessage.Builder> extra) {
        StunMessage.Builder b = TurnHarness.allocateBuilder(h.txn());
        extra.accept(b);
        return h.ask(from, h.signed(from, b, "alice", "secret"));
    }

    private static int code(StunMessage m) {
        return m.errorCode().orElse(0);
    }

    @Test
    void allocateOpensARelayPortAndAnswersWithAddressesAndLifetime() {
        StunMessage r = allocate(CLIENT_A, b -> { });
        assertEquals(StunClass.SUCCESS_RESPONSE, r.messageClass());
        InetSocketAddress relayed = r.xorAddress(StunAttributeType.XOR_RELAYED_ADDRESS).orElseThrow();
        assertEquals(TurnHarness.RELAY_IP, relayed.getAddress());
        assertTrue(relayed.getPort() >= 50000 && relayed.getPort() <= 50009);
        assertEquals(CLIENT_A, r.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
        assertEquals(600, r.uint32(StunAttributeType.LIFETIME).getAsLong());
        assertTrue(h.openRelays.contains(relayed.getPort()));
        assertEquals(1, h.service.allocationCount());
    }

    @Test
    void lifetimeIsClampedBetweenDefaultAndMax() {
        assertEquals(600, allocate(CLIENT_A, b -> b.addUint32(StunAttributeType.LIFETIME, 30)).uint32(StunAttributeType.LIFETIME).getAsLong());
        assertEquals(3600, allocate(CLIENT_B, b -> b.addUint32(StunAttributeType.LIFETIME, 99999)).uint32(StunAttributeType.LIFETIME).getAsLong());
    }

    @Test
    void retransmittedAllocateGetsTheSameAnswerAndAnotherOneGets437() {
        byte[] req = h.signed(CLIENT_A, TurnHarness.allocateBuilder(h.txn()), "alice", "secret");
        StunMessage first = h.ask(CLIENT_A, req);
        StunMessage again = h.ask(CLIENT_A, req);
        assertEquals(first, again);
        assertEquals(1, h.service.allocationCount());
        assertEquals(437, code(allocate(CLIENT_A, b -> { })));
    }

    @Test
    void requestedTransportIsRequiredAndMustBeUdp() {
        StunMessage.Builder none = StunMessage.builder(StunMethod.ALLOCATE, StunClass.REQUEST, h.txn());
        assertEquals(400, code(h.ask(CLIENT_A, h.signed(CLIENT_A, none, "alice", "secret"))));
        StunMessage.Builder tcp = StunMessage.builder(StunMethod.ALLOCATE, StunClass.REQUEST, h.txn())
                .addAttribute(StunAttributeType.REQUESTED_TRANSPORT, new byte[] {6, 0, 0, 0});
        assertEquals(442, code(h.ask(CLIENT_A, h.signed(CLIENT_A, tcp, "alice", "secret"))));
        assertEquals(0, h.service.allocationCount());
    }

    @Test
    void dontFragmentAndUnknownComprehensionRequiredAttributesGet420() {
        StunMessage r = allocate(CLIENT_A, b -> b.addAttribute(StunAttributeType.DONT_FRAGMENT, new byte[0]));
        assertEquals(420, code(r));
        assertArrayEquals(new int[] {StunAttributeType.DONT_FRAGMENT}, r.unknownAttributes());
        r = allocate(CLIENT_A, b -> b.addAttribute(0x7777, new byte[] {1, 2, 3, 4}));
        assertEquals(420, code(r));
        assertArrayEquals(new int[] {0x7777}, r.unknownAttributes());
    }

    @Test
    void addressFamilyRules() {
        byte[] v6 = {2, 0, 0, 0};
        byte[] v4 = {1, 0, 0, 0};
        assertEquals(440, code(allocate(CLIENT_A, b -> b.addAttribute(StunAttributeType.REQUESTED_ADDRESS_FAMILY, v6))));
        assertEquals(400, code(allocate(CLIENT_A, b -> b.addAttribute(StunAttributeType.REQUESTED_ADDRESS_FAMILY, v4)
                .addAttribute(TurnLimits.ATTR_ADDITIONAL_ADDRESS_FAMILY, v6))));
        assertEquals(400, code(allocate(CLIENT_A, b -> b.addAttribute(TurnLimits.ATTR_ADDITIONAL_ADDRESS_FAMILY, v4))));
        StunMessage dual = allocate(CLIENT_A, b -> b.addAttribute(TurnLimits.ATTR_ADDITIONAL_ADDRESS_FAMILY, v6));
        assertEquals(StunClass.SUCCESS_RESPONSE, dual.messageClass());
        byte[] aec = dual.bytes(TurnLimits.ATTR_ADDRESS_ERROR_CODE).orElseThrow();
        assertEquals(2, aec[0]);
        assertEquals(440, aec[2] * 100 + aec[3]);
        assertEquals(StunClass.SUCCESS_RESPONSE, allocate(CLIENT_B, b -> b.addAttribute(StunAttributeType.REQUESTED_ADDRESS_FAMILY, v4)).messageClass());
    }

    @Test
    void evenPortWithReservationAndTheTokenThatClaimsTheNextPort() {
        StunMessage r = allocate(CLIENT_A, b -> b.addByte(StunAttributeType.EVEN_PORT, 0x80));
        int port = r.xorAddress(StunAttributeType.XOR_RELAYED_ADDRESS).orElseThrow().getPort();
        assertEquals(0, port % 2);
        byte[] token = r.bytes(StunAttributeType.RESERVATION_TOKEN).orElseThrow();
        assertEquals(400, code(allocate(CLIENT_B, b -> b.addAttribute(StunAttributeType.RESERVATION_TOKEN, token)
                .addByte(StunAttributeType.EVEN_PORT, 0))));
        StunMessage second = allocate(CLIENT_B, b -> b.addAttribute(StunAttributeType.RESERVATION_TOKEN, token));
        assertEquals(port + 1, second.xorAddress(StunAttributeType.XOR_RELAYED_ADDRESS).orElseThrow().getPort());
        InetSocketAddress c = new InetSocketAddress(TurnHarness.ip("192.0.2.9"), 1);
        assertEquals(508, code(allocate(c, b -> b.addAttribute(StunAttributeType.RESERVATION_TOKEN, token))), "token used up");
    }

    @Test
    void reservationExpiresAfter30SecondsAndFreesThePort() {
        StunMessage r = allocate(CLIENT_A, b -> b.addByte(StunAttributeType.EVEN_PORT, 0x80));
        byte[] token = r.bytes(StunAttributeType.RESERVATION_TOKEN).orElseThrow();
        h.advance(Duration.ofSeconds(31));
        assertEquals(508, code(allocate(CLIENT_B, b -> b.addAttribute(StunAttributeType.RESERVATION_TOKEN, token))));
    }

    @Test
    void evenPortWithoutReservation() {
        StunMessage r = allocate(CLIENT_A, b -> b.addByte(StunAttributeType.EVEN_PORT, 0));
        assertEquals(0, r.xorAddress(StunAttributeType.XOR_RELAYED_ADDRESS).orElseThrow().getPort() % 2);
        assertFalse(r.has(StunAttributeType.RESERVATION_TOKEN));
    }

    @Test
    void quotasPerUserPerIpAndCapacity() {
        TurnHarness q = new TurnHarness(TurnHarness.config().withQuotas(3, 2, 2));
        InetSocketAddress a1 = new InetSocketAddress(TurnHarness.ip("192.0.2.1"), 1001);
        InetSocketAddress a2 = new InetSocketAddress(TurnHarness.ip("192.0.2.1"), 1002);
        InetSocketAddress a3 = new InetSocketAddress(TurnHarness.ip("192.0.2.1"), 1003);
        q.allocate(a1, "alice", "secret");
        q.allocate(a2, "bob", "hunter2");
        StunMessage r = q.ask(a3, q.signed(a3, TurnHarness.allocateBuilder(q.txn()), "carol", "pw"));
        assertEquals(486, r.errorCode().getAsInt(), "per-IP quota");
        InetSocketAddress b1 = new InetSocketAddress(TurnHarness.ip("192.0.2.2"), 1001);
        r = q.ask(b1, q.signed(b1, TurnHarness.allocateBuilder(q.txn()), "alice", "secret"));
        assertEquals(StunClass.SUCCESS_RESPONSE, r.messageClass());
        InetSocketAddress b2 = new InetSocketAddress(TurnHarness.ip("192.0.2.2"), 1002);
        r = q.ask(b2, q.signed(b2, TurnHarness.allocateBuilder(q.txn()), "alice", "secret"));
        assertEquals(486, r.errorCode().getAsInt(), "per-user quota");
        r = q.ask(b2, q.signed(b2, TurnHarness.allocateBuilder(q.txn()), "carol", "pw"));
        assertEquals(508, r.errorCode().getAsInt(), "server capacity");
    }

    @Test
    void relayPortsRunningOutIs508() {
        TurnHarness small = new TurnHarness(TurnHarness.config().withPorts(50000, 50001));
        small.allocate(new InetSocketAddress(TurnHarness.ip("192.0.2.1"), 1), "alice", "secret");
        small.allocate(new InetSocketAddress(TurnHarness.ip("192.0.2.2"), 1), "alice", "secret");
        InetSocketAddress c = new InetSocketAddress(TurnHarness.ip("192.0.2.3"), 1);
        assertEquals(508, small.ask(c, small.signed(c, TurnHarness.allocateBuilder(small.txn()), "alice", "secret"))
                .errorCode().getAsInt());
    }

    @Test
    void aPortThatCannotBeBoundIsSkipped() {
        int[] failed = {-1};
        h.bindFails = p -> {
            if (failed[0] < 0) {
                failed[0] = p;
                return true;
            }
            return false;
        };
        StunMessage r = allocate(CLIENT_A, b -> { });
        assertEquals(StunClass.SUCCESS_RESPONSE, r.messageClass());
        assertTrue(r.xorAddress(StunAttributeType.XOR_RELAYED_ADDRESS).orElseThrow().getPort() != failed[0]);
    }

    @Test
    void bindFailuresEndIn508AfterThreeTries() {
        h.bindFails = p -> true;
        assertEquals(508, code(allocate(CLIENT_A, b -> { })));
        assertEquals(0, h.service.allocationCount());
    }

    @Test
    void refreshExtendsAndLifetimeZeroDeletes() {
        int port = h.allocate(CLIENT_A);
        StunMessage r = h.request(CLIENT_A, StunMethod.REFRESH, b -> b.addUint32(StunAttributeType.LIFETIME, 1200));
        assertEquals(1200, r.uint32(StunAttributeType.LIFETIME).getAsLong());
        h.advance(Duration.ofSeconds(900));
        assertEquals(1, h.service.allocationCount(), "refreshed past the default lifetime");
        r = h.request(CLIENT_A, StunMethod.REFRESH, b -> b.addUint32(StunAttributeType.LIFETIME, 0));
        assertEquals(0, r.uint32(StunAttributeType.LIFETIME).getAsLong());
        assertEquals(0, h.service.allocationCount());
        assertTrue(h.closed.contains(port));
        assertEquals(437, code(h.request(CLIENT_A, StunMethod.REFRESH, b -> { })));
    }

    @Test
    void refreshWithTheOtherFamilyIs443() {
        h.allocate(CLIENT_A);
        assertEquals(443, code(h.request(CLIENT_A, StunMethod.REFRESH,
                b -> b.addAttribute(StunAttributeType.REQUESTED_ADDRESS_FAMILY, new byte[] {2, 0, 0, 0}))));
    }

    @Test
    void requestsWithoutAllocationAre437AndWithAnotherUsername441() {
        assertEquals(437, code(h.request(CLIENT_A, StunMethod.CREATE_PERMISSION,
                b -> b.addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, TurnHarness.PEER))));
        h.allocate(CLIENT_A);
        assertEquals(441, code(h.request(CLIENT_A, StunMethod.REFRESH, "bob", "hunter2", b -> { })));
        assertEquals(441, code(h.request(CLIENT_A, StunMethod.CREATE_PERMISSION, "bob", "hunter2",
                b -> b.addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, TurnHarness.PEER))));
    }

    @Test
    void allocationExpiresOnTheClockAndFreesItsPortAndQuota() {
        TurnHarness q = new TurnHarness(TurnHarness.config().withQuotas(10, 1, 10));
        int port = q.allocate(CLIENT_A);
        q.advance(Duration.ofSeconds(599));
        assertEquals(1, q.service.allocationCount());
        q.advance(Duration.ofSeconds(2));
        assertEquals(0, q.service.allocationCount());
        assertTrue(q.closed.contains(port));
        assertEquals(1, q.service.stats().allocationsExpired());
        q.allocate(CLIENT_B); // alice's quota of 1 is free again
    }

    @Test
    void expiredButUnsweptAllocationAnswers437() {
        h.allocate(CLIENT_A);
        h.clock.advance(Duration.ofSeconds(601)); // no handleTimeout: the lazy check must see it
        assertEquals(437, code(h.request(CLIENT_A, StunMethod.REFRESH, b -> { })));
    }
}
