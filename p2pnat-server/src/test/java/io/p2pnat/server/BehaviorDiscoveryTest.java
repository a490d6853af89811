package io.p2pnat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.discovery.ChangeRequest;
import io.p2pnat.core.discovery.DiscoveryWire;
import io.p2pnat.core.discovery.ServerSocketRole;
import io.p2pnat.core.discovery.TcpProbeOutcome;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * RFC 5780 on the real server over loopback, with 127.0.0.1 as the primary and 127.0.0.2 as the
 * alternate address (all of 127/8 is local on Linux).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BehaviorDiscoveryTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private final Random rnd = new Random(5780);
    private RendezvousServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void answersFromTheSocketTheChangeRequestNamesAndServesTheTcpProbe() throws Exception {
        server = RendezvousServer.start(new InetSocketAddress(LO, 0), 0, RendezvousConfig.defaults());
        BehaviorDiscovery d = server.enableBehaviorDiscovery(InetAddress.getByName("127.0.0.2"));
        assertTrue(d.hasAlternateIp());
        InetSocketAddress primary = server.localAddress();
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LO, 0))) {
            s.setSoTimeout(2000);
            InetSocketAddress me = (InetSocketAddress) s.getLocalSocketAddress();
            for (ChangeRequest c : new ChangeRequest[] {ChangeRequest.NONE, ChangeRequest.PORT, ChangeRequest.IP_AND_PORT}) {
                Answer a = exchange(s, primary, request(c));
                ServerSocketRole role = ServerSocketRole.PRIMARY.changed(c.changeIp(), c.changePort());
                assertEquals(d.address(role), a.from(), c.toString());
                assertEquals(me, a.message().xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
                assertEquals(d.address(role), a.message().address(StunAttributeType.RESPONSE_ORIGIN).orElseThrow());
                assertEquals(d.address(role.changed(true, true)), a.message().address(StunAttributeType.OTHER_ADDRESS).orElseThrow());
            }
            // The four sockets all answer.
            for (ServerSocketRole r : ServerSocketRole.values()) {
                assertEquals(d.address(r), exchange(s, d.address(r), request(null)).from(), r.toString());
            }
        }

        // TCP probe: a listener on the client's port accepts the server's SYN from 127.0.0.2.
        try (ServerSocket listener = new ServerSocket()) {
            listener.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            listener.bind(new InetSocketAddress(LO, 0));
            StunMessage m = tcpProbe(d.tcpProbeAddress(), listener.getLocalPort());
            assertEquals(TcpProbeOutcome.CONNECTED.code(), m.byteValue(DiscoveryWire.TCP_PROBE_RESULT).orElseThrow());
            assertEquals(InetAddress.getByName("127.0.0.2"), m.address(DiscoveryWire.PROBE_SOURCE).orElseThrow().getAddress());
        }
        // No listener: the kernel answers the SYN with a RST.
        StunMessage m = tcpProbe(d.tcpProbeAddress(), 0);
        assertEquals(TcpProbeOutcome.RESET.code(), m.byteValue(DiscoveryWire.TCP_PROBE_RESULT).orElseThrow());
    }

    @Test
    void withoutASecondAddressPlainBindingIsTheRendezvousServicesAndChangeIpIsRefused() throws Exception {
        server = RendezvousServer.start(new InetSocketAddress(LO, 0), 0, RendezvousConfig.defaults());
        BehaviorDiscovery d = server.enableBehaviorDiscovery(null);
        assertFalse(d.hasAlternateIp());
        assertEquals(null, d.tcpProbeAddress());
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LO, 0))) {
            s.setSoTimeout(2000);
            // A plain, unpadded Binding: the first from this address fits the per-source allowance.
            byte[] bare = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(rnd)).build().encode(null, true);
            Answer plain = exchange(s, server.localAddress(), bare);
            assertFalse(plain.message().has(StunAttributeType.RESPONSE_ORIGIN), "answered by the rendezvous service as before");
            assertEquals(1, server.stats().bindings());

            Answer port = exchange(s, server.localAddress(), request(ChangeRequest.PORT));
            assertEquals(server.alternateAddress(), port.from());
            assertEquals(server.localAddress().getPort(), port.message().uint32(StunAttributeType.ALT_PORT).orElseThrow());

            Answer ip = exchange(s, server.localAddress(), request(ChangeRequest.IP_AND_PORT));
            assertEquals(server.localAddress(), ip.from());
            assertEquals(420, ip.message().errorCode().orElseThrow());
        }
        assertThrows(IllegalStateException.class, () -> server.enableBehaviorDiscovery(null));
    }

    @Test
    void aWildcardMainAddressCannotHaveASecondOne() throws Exception {
        server = RendezvousServer.start(new InetSocketAddress(0), 0, RendezvousConfig.defaults());
        assertThrows(IllegalArgumentException.class, () -> server.enableBehaviorDiscovery(InetAddress.getByName("127.0.0.2")));
    }

    record Answer(InetSocketAddress from, StunMessage message) {
    }

    private byte[] request(ChangeRequest c) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(rnd));
        if (c != null) {
            b.addUint32(StunAttributeType.CHANGE_REQUEST, c.value());
        }
        // Padded as our NAT check pads (RFC 5780 §7.6), so the per-source budget never holds answers back.
        b.addAttribute(io.p2pnat.core.Signaling.PADDING, new byte[100]);
        return b.build().encode(null, true);
    }

    private static Answer exchange(DatagramSocket s, InetSocketAddress to, byte[] req) throws Exception {
        s.send(new DatagramPacket(req, req.length, to));
        byte[] buf = new byte[1500];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        return new Answer((InetSocketAddress) p.getSocketAddress(), StunMessage.decode(buf, 0, p.getLength()));
    }

    /** A TCP-PROBE exchange from local port {@code localPort} (0: any). */
    private StunMessage tcpProbe(InetSocketAddress server, int localPort) throws Exception {
        try (Socket s = new Socket()) {
            s.setReuseAddress(true);
            s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            s.bind(new InetSocketAddress(LO, localPort));
            s.connect(server, 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(rnd))
                    .addAttribute(DiscoveryWire.TCP_PROBE, new byte[0]).build().encode(null, true));
            InputStream in = s.getInputStream();
            byte[] all = in.readAllBytes();
            assertNotNull(all);
            StunMessage m = StunMessage.decode(all);
            assertEquals(s.getLocalSocketAddress(), m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
            return m;
        }
    }
}
