package io.p2pnat.core.discovery;

import static io.p2pnat.core.discovery.NatCheckTest.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** RFC 5780 §6.1 server behaviour of {@link BehaviorResponder}. */
class BehaviorResponderTest {
    private static final InetSocketAddress PRIMARY = new InetSocketAddress(ip("192.0.2.128"), 3478);
    private static final InetSocketAddress CLIENT = new InetSocketAddress(ip("192.0.2.1"), 1234);
    private final Random random = new Random(3);
    private final BehaviorResponder full = new BehaviorResponder(PRIMARY, 3479, ip("192.0.2.129"));
    private final BehaviorResponder portOnly = new BehaviorResponder(PRIMARY, 3479, null);

    @Test
    void answersFromTheSocketTheChangeRequestNames() throws Exception {
        for (ServerSocketRole arrived : ServerSocketRole.values()) {
            for (ChangeRequest c : new ChangeRequest[] {ChangeRequest.NONE, ChangeRequest.PORT, ChangeRequest.IP_AND_PORT,
                    new ChangeRequest(true, false)}) {
                byte[] req = request(c, 0);
                BehaviorResponder.Reply r = full.handle(arrived, CLIENT, req, 0, req.length);
                ServerSocketRole expected = arrived.changed(c.changeIp(), c.changePort());
                assertEquals(expected, r.from(), arrived + " " + c);
                assertEquals(CLIENT, r.to());
                StunMessage m = StunMessage.decode(r.payload());
                assertEquals(StunClass.SUCCESS_RESPONSE, m.messageClass());
                assertEquals(CLIENT, m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
                assertEquals(full.address(expected), m.address(StunAttributeType.RESPONSE_ORIGIN).orElseThrow());
                assertEquals(full.address(expected.changed(true, true)), m.address(StunAttributeType.OTHER_ADDRESS).orElseThrow(),
                        "OTHER-ADDRESS: the socket differing in both from the one answering");
                assertTrue(m.has(StunAttributeType.FINGERPRINT));
            }
        }
    }

    @Test
    void withoutASecondAddressChangeIpIsRefusedAndPlainBindingStaysTheRendezvousServices() throws Exception {
        byte[] plain = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(random)).build().encode();
        assertNull(portOnly.handle(ServerSocketRole.PRIMARY, CLIENT, plain, 0, plain.length));
        assertTrue(full.handle(ServerSocketRole.PRIMARY, CLIENT, plain, 0, plain.length) != null,
                "with a second address every Binding gets RESPONSE-ORIGIN and OTHER-ADDRESS");

        byte[] changePort = request(ChangeRequest.PORT, 0);
        BehaviorResponder.Reply r = portOnly.handle(ServerSocketRole.PRIMARY, CLIENT, changePort, 0, changePort.length);
        assertEquals(ServerSocketRole.CHANGED_PORT, r.from());
        StunMessage m = StunMessage.decode(r.payload());
        assertFalse(m.has(StunAttributeType.OTHER_ADDRESS), "no second address, no OTHER-ADDRESS");
        assertEquals(3478, m.uint32(StunAttributeType.ALT_PORT).orElseThrow(), "seen from the alternate port, the other is 3478");

        byte[] changeIp = request(ChangeRequest.IP_AND_PORT, 0);
        r = portOnly.handle(ServerSocketRole.PRIMARY, CLIENT, changeIp, 0, changeIp.length);
        assertEquals(ServerSocketRole.PRIMARY, r.from());
        m = StunMessage.decode(r.payload());
        assertEquals(420, m.errorCode().orElseThrow());
        assertArrayEquals(new int[] {StunAttributeType.CHANGE_REQUEST}, m.unknownAttributes());
    }

    @Test
    void paddingMakesTheAnswerAtLeastAsLargeAsTheRequest() throws StunParseException {
        byte[] req = request(ChangeRequest.NONE, 1500);
        BehaviorResponder.Reply r = full.handle(ServerSocketRole.PRIMARY, CLIENT, req, 0, req.length);
        assertTrue(r.payload().length >= req.length && r.payload().length <= req.length + 12, r.payload().length + " vs " + req.length);
        assertEquals(CLIENT, StunMessage.decode(r.payload()).xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
    }

    @Test
    void responsePortAndUnknownComprehensionRequiredAttributesGet420() throws StunParseException {
        byte[] req = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(random))
                .addUint32(StunAttributeType.RESPONSE_PORT, 5000 << 16).build().encode();
        StunMessage m = StunMessage.decode(full.handle(ServerSocketRole.PRIMARY, CLIENT, req, 0, req.length).payload());
        assertEquals(420, m.errorCode().orElseThrow());
        assertArrayEquals(new int[] {StunAttributeType.RESPONSE_PORT}, m.unknownAttributes());
    }

    @Test
    void tcpAnswersCarryTheProbeOutcome() throws StunParseException {
        byte[] req = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(random))
                .addAttribute(DiscoveryWire.TCP_PROBE, new byte[0]).build().encode(null, true);
        StunMessage request = BehaviorResponder.bindingRequest(req, 0, req.length);
        assertTrue(BehaviorResponder.wantsTcpProbe(request));
        InetSocketAddress source = new InetSocketAddress(ip("192.0.2.129"), 40000);
        StunMessage m = StunMessage.decode(full.tcpAnswer(ServerSocketRole.CHANGED_PORT, CLIENT, request, TcpProbeOutcome.RESET, source));
        assertEquals(TcpProbeOutcome.RESET.code(), m.byteValue(DiscoveryWire.TCP_PROBE_RESULT).orElseThrow());
        assertEquals(source, m.address(DiscoveryWire.PROBE_SOURCE).orElseThrow());
        assertEquals(full.address(ServerSocketRole.CHANGED_PORT), m.address(StunAttributeType.RESPONSE_ORIGIN).orElseThrow());
    }

    @Test
    void rejectsAddressesRfc5780CannotUse() {
        assertThrows(IllegalArgumentException.class, () -> new BehaviorResponder(new InetSocketAddress(3478), 3479, ip("192.0.2.129")));
        assertThrows(IllegalArgumentException.class, () -> new BehaviorResponder(PRIMARY, 0, ip("192.0.2.129")));
        assertThrows(IllegalArgumentException.class, () -> new BehaviorResponder(PRIMARY, 3478, null));
        assertThrows(IllegalArgumentException.class, () -> new BehaviorResponder(PRIMARY, 3479, PRIMARY.getAddress()));
        assertNull(new BehaviorResponder(new InetSocketAddress(3478), 3479, null).handle(ServerSocketRole.CHANGED_PORT, CLIENT,
                new byte[] {1, 2, 3}, 0, 3), "not STUN: dropped");
    }

    private byte[] request(ChangeRequest c, int padding) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(random))
                .addUint32(StunAttributeType.CHANGE_REQUEST, c.value());
        if (padding > 0) {
            b.addAttribute(StunAttributeType.PADDING, new byte[padding]);
        }
        return b.build().encode(null, true);
    }
}
