package io.p2pnat.core.turn;

import static io.p2pnat.core.turn.TurnHarness.CLIENT_A;
import static io.p2pnat.core.turn.TurnHarness.CLIENT_B;
import static io.p2pnat.core.turn.TurnHarness.PEER;
import static io.p2pnat.core.turn.TurnHarness.PEER2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Permissions (RFC 8656 §9, §10), Send/Data (§11), channels and ChannelData (§12). */
class TurnRelayTest {
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.UTF_8);
    private final TurnHarness h = new TurnHarness();

    private static int code(StunMessage m) {
        return m.errorCode().orElse(0);
    }

    private StunMessage permit(InetSocketAddress from, InetSocketAddress... peers) {
        return h.request(from, StunMethod.CREATE_PERMISSION, b -> {
            for (InetSocketAddress p : peers) {
                b.addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, p);
            }
        });
    }

    private StunMessage bind(InetSocketAddress from, int channel, InetSocketAddress peer) {
        return h.request(from, StunMethod.CHANNEL_BIND, b -> {
            b.addUint32(StunAttributeType.CHANNEL_NUMBER, (long) channel << 16);
            if (peer != null) {
                b.addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, peer);
            }
        });
    }

    private byte[] sendIndication(InetSocketAddress peer, byte[] data) {
        return StunMessage.builder(StunMethod.SEND, StunClass.INDICATION, h.txn())
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, peer)
                .addAttribute(StunAttributeType.DATA, data).build().encode();
    }

    @Test
    void dataFromAPeerWithoutPermissionIsDropped() {
        int port = h.allocate(CLIENT_A);
        assertTrue(h.fromPeer(port, PEER, HELLO).isEmpty());
        assertEquals(1, h.service.stats().permissionDrops());
    }

    @Test
    void permissionLetsPeerDataInAsADataIndicationFromAnyPortOfThatIp() {
        int port = h.allocate(CLIENT_A);
        assertEquals(StunClass.SUCCESS_RESPONSE, permit(CLIENT_A, PEER).messageClass());
        InetSocketAddress otherPort = new InetSocketAddress(PEER.getAddress(), 7777);
        List<TurnOutput.ToClient> got = h.fromPeer(port, otherPort, HELLO);
        assertEquals(1, got.size());
        assertEquals(CLIENT_A, got.get(0).client());
        StunMessage data = TurnHarness.decode(got.get(0).payload());
        assertEquals(StunMethod.DATA, data.method());
        assertEquals(StunClass.INDICATION, data.messageClass());
        assertEquals(otherPort, data.xorAddress(StunAttributeType.XOR_PEER_ADDRESS).orElseThrow());
        assertArrayEquals(HELLO, data.bytes(StunAttributeType.DATA).orElseThrow());
        assertTrue(h.fromPeer(port, PEER2, HELLO).isEmpty(), "another IP has no permission");
    }

    @Test
    void permissionExpiresAfter300SecondsUnlessRefreshed() {
        int port = h.allocate(CLIENT_A);
        permit(CLIENT_A, PEER);
        h.advance(Duration.ofSeconds(200));
        permit(CLIENT_A, PEER);
        h.advance(Duration.ofSeconds(200));
        assertEquals(1, h.fromPeer(port, PEER, HELLO).size(), "refreshed at 200 s");
        h.advance(Duration.ofSeconds(101));
        assertTrue(h.fromPeer(port, PEER, HELLO).isEmpty(), "expired 300 s after the refresh");
    }

    @Test
    void createPermissionErrors() {
        h.allocate(CLIENT_A);
        assertEquals(400, code(permit(CLIENT_A)));
        assertEquals(443, code(permit(CLIENT_A, new InetSocketAddress(TurnHarness.ip("2001:db8::1"), 1))));
        assertEquals(403, code(permit(CLIENT_A, new InetSocketAddress(TurnHarness.ip("127.0.0.1"), 1))));
        assertEquals(403, code(permit(CLIENT_A, new InetSocketAddress(TurnHarness.ip("224.0.0.1"), 1))));
        assertEquals(403, code(permit(CLIENT_A, new InetSocketAddress(TurnHarness.ip("0.0.0.0"), 1))));
        assertEquals(403, code(permit(CLIENT_A, PEER, new InetSocketAddress(TurnHarness.ip("255.255.255.255"), 1))),
                "all or nothing");
    }

    @Test
    void permissionLimitIs508() {
        TurnHarness small = new TurnHarness(TurnHarness.config().withPeerLimits(2, 2));
        small.allocate(CLIENT_A);
        assertEquals(StunClass.SUCCESS_RESPONSE, small.request(CLIENT_A, StunMethod.CREATE_PERMISSION, b -> b
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, PEER)
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, PEER2)).messageClass());
        assertEquals(508, code(small.request(CLIENT_A, StunMethod.CREATE_PERMISSION,
                b -> b.addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, new InetSocketAddress(TurnHarness.ip("198.51.100.9"), 1)))));
        small.advance(Duration.ofSeconds(301));
        assertEquals(StunClass.SUCCESS_RESPONSE, small.request(CLIENT_A, StunMethod.CREATE_PERMISSION,
                b -> b.addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, new InetSocketAddress(TurnHarness.ip("198.51.100.9"), 1))).messageClass(),
                "expired permissions make room");
    }

    @Test
    void loopbackPeersWhenAllowedButNeverTheServersOwnPorts() {
        TurnHarness lo = new TurnHarness(TurnHarness.config().withLoopbackPeers(true));
        lo.allocate(CLIENT_A);
        InetSocketAddress loopPeer = new InetSocketAddress(TurnHarness.ip("127.0.0.1"), 9999);
        assertEquals(StunClass.SUCCESS_RESPONSE, lo.request(CLIENT_A, StunMethod.CREATE_PERMISSION,
                b -> b.addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, loopPeer)).messageClass());
        InetSocketAddress serverItself = new InetSocketAddress(TurnHarness.ip("127.0.0.1"), 3478);
        assertEquals(403, lo.request(CLIENT_A, StunMethod.CHANNEL_BIND, b -> b
                .addUint32(StunAttributeType.CHANNEL_NUMBER, 0x4000L << 16)
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, serverItself)).errorCode().getAsInt());
        int before = lo.toPeers.size();
        lo.send(CLIENT_A, StunMessage.builder(StunMethod.SEND, StunClass.INDICATION, lo.txn())
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, new InetSocketAddress(TurnHarness.RELAY_IP, 3478))
                .addAttribute(StunAttributeType.DATA, HELLO).build().encode());
        assertEquals(before, lo.toPeers.size());
    }

    @Test
    void sendIndicationRelaysOnlyWithPermission() {
        int port = h.allocate(CLIENT_A);
        h.send(CLIENT_A, sendIndication(PEER, HELLO));
        assertTrue(h.toPeers.isEmpty());
        permit(CLIENT_A, PEER);
        h.send(CLIENT_A, sendIndication(PEER, HELLO));
        assertEquals(1, h.toPeers.size());
        TurnOutput.ToPeer out = h.toPeers.get(0);
        assertEquals(port, out.relayPort());
        assertEquals(PEER, out.peer());
        assertArrayEquals(HELLO, out.payload());
        h.send(CLIENT_B, sendIndication(PEER, HELLO));
        assertEquals(1, h.toPeers.size(), "no allocation for B: ignored");
        byte[] df = StunMessage.builder(StunMethod.SEND, StunClass.INDICATION, h.txn())
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, PEER).addAttribute(StunAttributeType.DATA, HELLO)
                .addAttribute(StunAttributeType.DONT_FRAGMENT, new byte[0]).build().encode();
        h.send(CLIENT_A, df);
        byte[] noData = StunMessage.builder(StunMethod.SEND, StunClass.INDICATION, h.txn())
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, PEER).build().encode();
        h.send(CLIENT_A, noData);
        assertEquals(1, h.toPeers.size());
    }

    @Test
    void channelDataBothWays() {
        int port = h.allocate(CLIENT_A);
        assertEquals(StunClass.SUCCESS_RESPONSE, bind(CLIENT_A, 0x4001, PEER).messageClass());
        byte[] cd = ChannelData.encode(0x4001, HELLO, 0, HELLO.length);
        assertTrue(h.send(CLIENT_A, cd).isEmpty());
        assertEquals(1, h.toPeers.size());
        assertEquals(PEER, h.toPeers.get(0).peer());
        assertEquals(port, h.toPeers.get(0).relayPort());
        assertArrayEquals(HELLO, h.toPeers.get(0).payload());
        List<TurnOutput.ToClient> in = h.fromPeer(port, PEER, HELLO);
        assertEquals(1, in.size());
        byte[] got = in.get(0).payload();
        assertEquals(0x4001, ChannelData.channel(got, 0, got.length));
        assertEquals(HELLO.length, ChannelData.dataLength(got, 0));
        // same IP, other port: permission yes, channel no → Data indication
        List<TurnOutput.ToClient> other = h.fromPeer(port, new InetSocketAddress(PEER.getAddress(), 1), HELLO);
        assertEquals(StunMethod.DATA, TurnHarness.decode(other.get(0).payload()).method());
    }

    @Test
    void malformedOrUnboundChannelDataIsDropped() {
        h.allocate(CLIENT_A);
        bind(CLIENT_A, 0x4001, PEER);
        h.send(CLIENT_A, ChannelData.encode(0x4002, HELLO, 0, HELLO.length));
        byte[] reserved = ChannelData.encode(0x4001, HELLO, 0, HELLO.length);
        reserved[0] = 0x50;
        h.send(CLIENT_A, reserved);
        byte[] truncated = ChannelData.encode(0x4001, HELLO, 0, HELLO.length);
        h.service.handleClientInput(h.now(), CLIENT_A, truncated, 0, truncated.length - 1);
        h.send(CLIENT_B, ChannelData.encode(0x4001, HELLO, 0, HELLO.length));
        assertTrue(h.toPeers.isEmpty());
        byte[] padded = new byte[12];
        System.arraycopy(ChannelData.encode(0x4001, HELLO, 0, HELLO.length), 0, padded, 0, 9);
        h.send(CLIENT_A, padded);
        assertEquals(1, h.toPeers.size(), "UDP padding is allowed");
        assertEquals(HELLO.length, h.toPeers.get(0).payload().length);
    }

    @Test
    void channelBindErrors() {
        h.allocate(CLIENT_A);
        assertEquals(400, code(bind(CLIENT_A, 0x4001, null)));
        assertEquals(400, code(h.request(CLIENT_A, StunMethod.CHANNEL_BIND, b -> b.addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, PEER))));
        assertEquals(400, code(bind(CLIENT_A, 0x3FFF, PEER)));
        assertEquals(400, code(bind(CLIENT_A, 0x8000, PEER)));
        assertEquals(StunClass.SUCCESS_RESPONSE, bind(CLIENT_A, 0x4001, PEER).messageClass());
        assertEquals(StunClass.SUCCESS_RESPONSE, bind(CLIENT_A, 0x4001, PEER).messageClass(), "rebinding refreshes");
        assertEquals(400, code(bind(CLIENT_A, 0x4001, PEER2)), "number bound elsewhere");
        assertEquals(400, code(bind(CLIENT_A, 0x4002, PEER)), "peer bound to another number");
        assertEquals(443, code(bind(CLIENT_A, 0x4003, new InetSocketAddress(TurnHarness.ip("2001:db8::1"), 1))));
        assertEquals(403, code(bind(CLIENT_A, 0x4003, new InetSocketAddress(TurnHarness.ip("127.0.0.1"), 1))));
    }

    @Test
    void rfc5766ChannelNumbersUnlessStrict() {
        int port = h.allocate(CLIENT_A);
        assertEquals(StunClass.SUCCESS_RESPONSE, bind(CLIENT_A, 0x5EC7, PEER).messageClass());
        h.send(CLIENT_A, ChannelData.encode(0x5EC7, HELLO, 0, HELLO.length));
        assertEquals(1, h.toPeers.size());
        byte[] back = h.fromPeer(port, PEER, HELLO).get(0).payload();
        assertEquals(0x5EC7, ChannelData.channel(back, 0, back.length, TurnLimits.CHANNEL_MAX_RFC5766));

        TurnHarness strict = new TurnHarness(TurnHarness.config().withRfc5766Channels(false));
        strict.allocate(CLIENT_A);
        assertEquals(400, strict.request(CLIENT_A, StunMethod.CHANNEL_BIND, b -> b
                .addUint32(StunAttributeType.CHANNEL_NUMBER, 0x5000L << 16)
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, PEER)).errorCode().getAsInt());
    }

    @Test
    void channelLimitIs508() {
        TurnHarness small = new TurnHarness(TurnHarness.config().withPeerLimits(10, 1));
        small.allocate(CLIENT_A);
        assertEquals(StunClass.SUCCESS_RESPONSE, small.request(CLIENT_A, StunMethod.CHANNEL_BIND, b -> b
                .addUint32(StunAttributeType.CHANNEL_NUMBER, 0x4000L << 16).addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, PEER)).messageClass());
        assertEquals(508, small.request(CLIENT_A, StunMethod.CHANNEL_BIND, b -> b
                .addUint32(StunAttributeType.CHANNEL_NUMBER, 0x4001L << 16).addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, PEER2))
                .errorCode().getAsInt());
    }

    @Test
    void channelDataDoesNotRefreshThePermissionAndChannelsExpire() {
        int port = h.allocate(CLIENT_A);
        bind(CLIENT_A, 0x4001, PEER);
        for (int i = 0; i < 3; i++) {
            h.advance(Duration.ofSeconds(100));
            h.send(CLIENT_A, ChannelData.encode(0x4001, HELLO, 0, HELLO.length));
            h.fromPeer(port, PEER, HELLO);
        }
        assertEquals(2, h.toPeers.size(), "the permission expired at 300 s despite traffic");
        assertTrue(h.fromPeer(port, PEER, HELLO).isEmpty());
        permit(CLIENT_A, PEER);
        h.request(CLIENT_A, StunMethod.REFRESH, b -> { }); // keep the allocation past 600 s
        h.advance(Duration.ofSeconds(290));
        permit(CLIENT_A, PEER);
        h.advance(Duration.ofSeconds(20)); // the channel, bound 610 s ago, has expired
        List<TurnOutput.ToClient> in = h.fromPeer(port, PEER, HELLO);
        assertEquals(StunMethod.DATA, TurnHarness.decode(in.get(0).payload()).method(), "no channel: Data indication");
        assertEquals(StunClass.SUCCESS_RESPONSE, bind(CLIENT_A, 0x4002, PEER).messageClass(), "peer free to rebind");
    }

    @Test
    void relayInputOnUnknownOrClosedPortsIsDropped() {
        assertTrue(h.fromPeer(50003, PEER, HELLO).isEmpty());
        assertTrue(h.fromPeer(-1, PEER, HELLO).isEmpty());
        assertTrue(h.fromPeer(70000, PEER, HELLO).isEmpty());
    }

    @Test
    void twoClientsTalkRelayToRelay() {
        int portA = h.allocate(CLIENT_A);
        int portB = h.allocate(CLIENT_B, "bob", "hunter2");
        InetSocketAddress relayA = new InetSocketAddress(TurnHarness.RELAY_IP, portA);
        InetSocketAddress relayB = new InetSocketAddress(TurnHarness.RELAY_IP, portB);
        permit(CLIENT_A, relayB);
        h.request(CLIENT_B, StunMethod.CREATE_PERMISSION, "bob", "hunter2",
                b -> b.addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, relayA));
        h.send(CLIENT_A, sendIndication(relayB, HELLO));
        TurnOutput.ToPeer hop = h.toPeers.get(0);
        assertEquals(relayB, hop.peer());
        List<TurnOutput.ToClient> atB = h.fromPeer(portB, relayA, hop.payload());
        assertEquals(CLIENT_B, atB.get(0).client());
    }
}
