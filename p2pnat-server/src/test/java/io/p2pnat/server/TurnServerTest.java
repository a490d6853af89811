package io.p2pnat.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.turn.TurnConfig;
import io.p2pnat.core.turn.TurnUsers;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The TURN server on real loopback sockets, driven by {@link BlockingTurnClient}. */
class TurnServerTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private static final Duration T = Duration.ofSeconds(5);
    private RendezvousServer server;
    private DatagramSocket peer;

    @BeforeEach
    void start() throws Exception {
        int base = io.p2pnat.server.interop.Coturn.relayBase(20);
        TurnConfig config = TurnConfig.defaults("p2pnat", LO).withPorts(base, base + 19).withLoopbackPeers(true);
        server = RendezvousServer.start(new InetSocketAddress(LO, 0), RendezvousServer.NO_ALTERNATE_PORT,
                RendezvousConfig.defaults(), new TurnSettings(config, TurnUsers.parse(List.of("u:p"), "p2pnat")));
        peer = new DatagramSocket(new InetSocketAddress(LO, 0));
        peer.setSoTimeout(5000);
    }

    @AfterEach
    void stop() {
        peer.close();
        server.close();
    }

    private byte[] peerReceive(InetSocketAddress[] from) throws Exception {
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        peer.receive(p);
        from[0] = (InetSocketAddress) p.getSocketAddress();
        return java.util.Arrays.copyOf(buf, p.getLength());
    }

    @Test
    void relaysBothWaysWithSendIndicationsAndChannels() throws Exception {
        InetSocketAddress peerAddr = (InetSocketAddress) peer.getLocalSocketAddress();
        try (BlockingTurnClient c = BlockingTurnClient.open(server.localAddress(), "u", "p")) {
            InetSocketAddress relayed = c.allocate(T);
            assertEquals(LO, relayed.getAddress());
            c.createPermission(T, LO);
            byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
            c.send(peerAddr, hello);
            InetSocketAddress[] from = new InetSocketAddress[1];
            assertArrayEquals(hello, peerReceive(from));
            assertEquals(relayed, from[0], "the peer sees the relayed address");
            peer.send(new DatagramPacket(hello, hello.length, relayed));
            BlockingTurnClient.Received d = c.receive(T);
            assertNotNull(d);
            assertEquals(peerAddr, d.peer());
            assertArrayEquals(hello, d.data());

            c.bindChannel(peerAddr, T);
            for (int i = 0; i < 100; i++) {
                byte[] msg = ("m" + i).getBytes(StandardCharsets.UTF_8);
                c.send(peerAddr, msg);
                assertArrayEquals(msg, peerReceive(from));
                peer.send(new DatagramPacket(msg, msg.length, relayed));
                assertArrayEquals(msg, c.receive(T).data());
            }
            TurnServerStats s = server.turnStats();
            assertEquals(1, s.allocations());
            assertEquals(101, s.toPeerPackets());
            assertEquals(101, s.toClientPackets());
        }
        assertEquals(0, server.turnStats().allocations(), "close() deleted the allocation");
    }

    /**
     * TURN over TCP (RFC 8656 §3.1) on the server's port: answers and relayed data come back on
     * the connection, ChannelData of odd lengths padded (§12.5) and taken apart again, and when
     * the connection ends without a Refresh the allocation and its relay port go with it.
     */
    @Test
    void relaysOverATcpConnectionWhichTakesItsAllocationAlongWhenItEnds() throws Exception {
        InetSocketAddress peerAddr = (InetSocketAddress) peer.getLocalSocketAddress();
        InetSocketAddress relayed;
        try (BlockingTurnClient c = BlockingTurnClient.openTcp(server.tcpLocalAddress(), "u", "p")) {
            relayed = c.allocate(T);
            assertEquals(LO, relayed.getAddress());
            c.createPermission(T, LO);
            InetSocketAddress[] from = new InetSocketAddress[1];
            byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
            c.send(peerAddr, hello); // a Send indication on the stream
            assertArrayEquals(hello, peerReceive(from));
            assertEquals(relayed, from[0]);
            peer.send(new DatagramPacket(hello, hello.length, relayed));
            assertArrayEquals(hello, c.receive(T).data()); // a Data indication on the stream
            c.bindChannel(peerAddr, T);
            for (int i = 0; i < 40; i++) {
                byte[] msg = ("m".repeat(i % 7 + 1) + i).getBytes(StandardCharsets.UTF_8);
                c.send(peerAddr, msg);
                assertArrayEquals(msg, peerReceive(from), "the peer gets the data without the stream's padding");
                peer.send(new DatagramPacket(msg, msg.length, relayed));
                assertArrayEquals(msg, c.receive(T).data());
            }
            TurnServerStats s = server.turnStats();
            assertEquals(1, s.allocations());
            assertEquals(41, s.toPeerPackets());
            assertEquals(41, s.toClientPackets());
            c.dropConnection(); // no Refresh with lifetime 0: only the connection's end
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (server.turnStats().allocations() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, server.turnStats().allocations(), "the allocation ended with its connection");
        assertEquals(1, server.turnStats().allocationsClosed());
        peer.send(new DatagramPacket(new byte[] {1}, 1, relayed));
        try (BlockingTurnClient udp = BlockingTurnClient.open(server.localAddress(), "u", "p")) {
            udp.allocate(T); // the relay port range (20 ports) has room again
        }
    }

    /**
     * TURN over TLS (the turns: URI) on the same port as plain TCP and UDP: a client that trusts
     * the server's certificate relays through it, plain TCP keeps working beside it, and a client
     * that does not trust the certificate gets no further than the handshake.
     */
    @Test
    void relaysOverTlsOnTheSamePort(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        TestCerts.Pem pem = TestCerts.selfSigned(dir);
        server.enableTls(ServerTls.fromPem(pem.cert(), pem.key()));
        InetSocketAddress peerAddr = (InetSocketAddress) peer.getLocalSocketAddress();
        InetSocketAddress[] from = new InetSocketAddress[1];
        try (BlockingTurnClient c = BlockingTurnClient.openTls(server.tcpLocalAddress(), "localhost", pem.trustingIt(), "u", "p");
             BlockingTurnClient plain = BlockingTurnClient.openTcp(server.tcpLocalAddress(), "u", "p")) {
            InetSocketAddress relayed = c.allocate(T);
            c.createPermission(T, LO);
            c.bindChannel(peerAddr, T);
            for (int i = 0; i < 20; i++) {
                byte[] msg = ("tls " + "x".repeat(i % 5) + i).getBytes(StandardCharsets.UTF_8);
                c.send(peerAddr, msg);
                assertArrayEquals(msg, peerReceive(from));
                assertEquals(relayed, from[0]);
                peer.send(new DatagramPacket(msg, msg.length, relayed));
                assertArrayEquals(msg, c.receive(T).data());
            }
            InetSocketAddress plainRelayed = plain.allocate(T);
            assertEquals(2, server.turnStats().allocations());
            org.junit.jupiter.api.Assertions.assertNotEquals(relayed, plainRelayed);
        }
        javax.net.ssl.SSLContext trustsNothing = javax.net.ssl.SSLContext.getInstance("TLS");
        trustsNothing.init(null, null, null); // the JDK's CAs: not our self-signed certificate
        org.junit.jupiter.api.Assertions.assertThrows(javax.net.ssl.SSLHandshakeException.class,
                () -> BlockingTurnClient.openTls(server.tcpLocalAddress(), "localhost", trustsNothing, "u", "p").close());
    }

    @Test
    void badTlsFilesSayWhatIsWrong(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path missing = dir.resolve("nope.pem");
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> ServerTls.fromPem(missing, missing));
        assertTrue(e.getMessage().contains("nope.pem") && e.getMessage().contains("no such readable file"), e.getMessage());
        java.nio.file.Path garbage = dir.resolve("garbage.pem");
        java.nio.file.Files.writeString(garbage, "not a certificate\n");
        e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> ServerTls.fromPem(garbage, garbage));
        assertTrue(e.getMessage().contains("garbage.pem"), e.getMessage());
        TestCerts.Pem pem = TestCerts.selfSigned(dir);
        e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> ServerTls.fromPem(pem.cert(), pem.cert()));
        assertTrue(e.getMessage().contains("private key"), e.getMessage());
    }

    /** One address holds at most its allocation quota plus 16 TURN connections; the next is closed at once. */
    @Test
    void anAddressHoldsBoundedlyManyTurnConnections() throws Exception {
        int base = io.p2pnat.server.interop.Coturn.relayBase(4);
        TurnConfig config = TurnConfig.defaults("p2pnat", LO).withPorts(base, base + 3).withLoopbackPeers(true)
                .withQuotas(TurnConfig.defaults("p2pnat", LO).maxAllocations(), TurnConfig.defaults("p2pnat", LO).userQuota(), 1);
        try (RendezvousServer small = RendezvousServer.start(new InetSocketAddress(LO, 0), RendezvousServer.NO_ALTERNATE_PORT,
                RendezvousConfig.defaults(), new TurnSettings(config, TurnUsers.parse(List.of("u:p"), "p2pnat")))) {
            List<java.net.Socket> held = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 17; i++) {
                    held.add(turnConnection(small));
                    assertTrue(readChallenge(held.get(i)), "connection " + (i + 1) + " is answered");
                }
                try (java.net.Socket extra = turnConnection(small)) {
                    assertEquals(-1, extra.getInputStream().read(), "the 18th is closed unanswered");
                }
                assertEquals(1, small.turnStats().streamsRefused());
                held.remove(0).close();
                long deadline = System.nanoTime() + 5_000_000_000L;
                boolean answered = false;
                while (!answered && System.nanoTime() < deadline) {
                    try (java.net.Socket again = turnConnection(small)) {
                        answered = readChallenge(again);
                    }
                }
                assertTrue(answered, "a closed connection makes room");
            } finally {
                for (java.net.Socket h : held) {
                    h.close();
                }
            }
        }
    }

    /** A TCP connection to {@code s} whose first message is a TURN request (an unauthenticated Refresh). */
    private static java.net.Socket turnConnection(RendezvousServer s) throws Exception {
        java.net.Socket sock = new java.net.Socket();
        sock.connect(s.tcpLocalAddress(), 5000);
        sock.setSoTimeout(5000);
        sock.getOutputStream().write(StunMessage.builder(StunMethod.REFRESH, StunClass.REQUEST, TransactionId.random(new Random()))
                .addString(StunAttributeType.SOFTWARE, "padding so that the challenge fits in").build().encode());
        return sock;
    }

    /** Whether a whole STUN answer came back on {@code s} (false: closed first). */
    private static boolean readChallenge(java.net.Socket s) throws Exception {
        byte[] head = s.getInputStream().readNBytes(20);
        if (head.length < 20) {
            return false;
        }
        int len = ((head[2] & 0xFF) << 8) | (head[3] & 0xFF);
        return s.getInputStream().readNBytes(len).length == len;
    }

    /** A TCP connection that never allocates (or no longer holds one) does not stay open for ever. */
    @Test
    void aTcpConnectionWithoutAnAllocationIsClosed() throws Exception {
        long before = TurnDriver.streamIdleMillis;
        TurnDriver.streamIdleMillis = 300;
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(server.tcpLocalAddress(), 5000);
            s.setSoTimeout(5000);
            // An unauthenticated Refresh: a TURN request, answered with a 401, which allocates nothing.
            byte[] refresh = StunMessage.builder(StunMethod.REFRESH, StunClass.REQUEST, TransactionId.random(new Random()))
                    .addString(StunAttributeType.SOFTWARE, "padding so that the challenge fits in").build().encode();
            s.getOutputStream().write(refresh);
            byte[] head = s.getInputStream().readNBytes(20);
            assertEquals(20, head.length, "the 401 comes back on the connection");
            s.getInputStream().readNBytes(((head[2] & 0xFF) << 8) | (head[3] & 0xFF));
            long start = System.nanoTime();
            assertEquals(-1, s.getInputStream().read(), "closed by the server");
            assertTrue(System.nanoTime() - start < 3_000_000_000L);
        } finally {
            TurnDriver.streamIdleMillis = before;
        }
    }

    @Test
    void peerWithoutPermissionIsNotRelayed() throws Exception {
        try (BlockingTurnClient c = BlockingTurnClient.open(server.localAddress(), "u", "p")) {
            InetSocketAddress relayed = c.allocate(T);
            peer.send(new DatagramPacket(new byte[] {1}, 1, relayed));
            assertNull(c.receive(Duration.ofMillis(300)));
            assertEquals(1, server.turnStats().permissionDrops());
        }
    }

    @Test
    void wrongPasswordIsRefused() throws Exception {
        try (BlockingTurnClient c = BlockingTurnClient.open(server.localAddress(), "u", "wrong")) {
            BlockingTurnClient.TurnFailure f = org.junit.jupiter.api.Assertions.assertThrows(
                    BlockingTurnClient.TurnFailure.class, () -> c.allocate(T));
            assertEquals(401, f.code());
        }
    }

    @Test
    void bindingStillGoesToTheRendezvousService() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LO, 0))) {
            s.setSoTimeout(5000);
            byte[] req = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(new Random()))
                    .build().encode();
            s.send(new DatagramPacket(req, req.length, server.localAddress()));
            byte[] buf = new byte[1500];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            StunMessage m = StunMessage.decode(buf, 0, p.getLength());
            assertEquals(StunClass.SUCCESS_RESPONSE, m.messageClass());
            assertEquals(s.getLocalSocketAddress(), m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
        }
        assertEquals(1, server.stats().bindings());
        assertEquals(0, server.turnStats().requests());
    }

    @Test
    void turnIsOffUnlessConfigured() throws Exception {
        try (RendezvousServer plain = RendezvousServer.start(new InetSocketAddress(LO, 0), RendezvousConfig.defaults())) {
            assertFalse(plain.turnEnabled());
            assertNull(plain.turnStats());
        }
        assertTrue(server.turnEnabled());
    }
}
