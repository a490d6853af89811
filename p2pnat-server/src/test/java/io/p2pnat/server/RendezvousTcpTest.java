package io.p2pnat.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's TCP side on real loopback sockets (docs/protocol.md "TCP"): TCP REGISTER from a
 * bound port, CONNECT with TRANSPORT=1, and the stream relay splicing two RELAY-ATTACHed
 * connections with backpressure and half-close.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RendezvousTcpTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private static final int TEN_MB = 10 * 1024 * 1024;

    private final Random rnd = new Random(5128);
    private RendezvousServer server;
    private ExecutorService pool;

    @BeforeEach
    void start() throws IOException {
        // TURN is on, as in many deployments: every connection here first passes the check that
        // sends TURN clients' connections to the TURN server (TURN over TCP), and must not notice it.
        int base = io.p2pnat.server.interop.Coturn.relayBase(4);
        io.p2pnat.core.turn.TurnConfig turn = io.p2pnat.core.turn.TurnConfig.defaults("p2pnat", LO).withPorts(base, base + 3);
        server = RendezvousServer.start(new InetSocketAddress(LO, 0), RendezvousServer.NO_ALTERNATE_PORT,
                RendezvousConfig.defaults(),
                new TurnSettings(turn, io.p2pnat.core.turn.TurnUsers.parse(java.util.List.of("u:p"), "p2pnat")));
        pool = Executors.newFixedThreadPool(4);
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        server.close();
    }

    // --- helpers --------------------------------------------------------------------------

    /** A peer's UDP socket with its session key. */
    private record UdpPeer(DatagramSocket socket, byte[] key) {
    }

    private TransactionId tid() {
        return TransactionId.random(rnd);
    }

    private StunMessage udpExchange(DatagramSocket s, byte[] request) throws Exception {
        s.send(new DatagramPacket(request, request.length, server.localAddress()));
        return udpReceive(s);
    }

    private static StunMessage udpReceive(DatagramSocket s) throws Exception {
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        return StunMessage.decode(Arrays.copyOf(buf, p.getLength()));
    }

    /** Registers over UDP with the cookie exchange (RFC 5128 §6.2). */
    private UdpPeer registerUdp(String id) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(LO, 0));
        s.setSoTimeout(5000);
        byte[] cookie = null;
        byte[] serverKey = null;
        for (int round = 0; round < 2; round++) {
            StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid())
                    .addString(StunAttributeType.PEER_ID, id);
            if (cookie != null) {
                b.addAttribute(StunAttributeType.COOKIE, cookie);
                io.p2pnat.core.secure.Identity me = io.p2pnat.core.secure.Identity.insecureForTests(id);
                b.addAttribute(StunAttributeType.STATIC_KEY, me.publicKey());
                b.addAttribute(StunAttributeType.KEY_PROOF,
                        io.p2pnat.core.rendezvous.KeyProofs.proof(me, serverKey, cookie, id));
            }
            b.addAttribute(Signaling.PADDING, new byte[64]);
            StunMessage answer = udpExchange(s, b.build().encode(null, true));
            if (round == 0) {
                cookie = answer.bytes(StunAttributeType.COOKIE).orElseThrow();
                serverKey = answer.bytes(StunAttributeType.SERVER_KEY).orElseThrow();
            } else {
                assertEquals(StunClass.SUCCESS_RESPONSE, answer.messageClass());
                return new UdpPeer(s, io.p2pnat.core.rendezvous.KeyProofs.openSessionKey(
                        io.p2pnat.core.secure.Identity.insecureForTests(id), serverKey,
                        answer.bytes(StunAttributeType.SESSION_KEY).orElseThrow(), answer.transactionId().toBytes()));
            }
        }
        throw new AssertionError();
    }

    private static StunMessage readStun(InputStream in) throws Exception {
        byte[] header = in.readNBytes(20);
        assertEquals(20, header.length, "connection ended before a whole STUN header");
        int length = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
        byte[] body = in.readNBytes(length);
        assertEquals(length, body.length);
        return StunMessage.decode(ByteBuffer.allocate(20 + length).put(header).put(body).array());
    }

    private Socket connectTcp(InetSocketAddress local) throws IOException {
        Socket s = new Socket();
        s.setReuseAddress(true);
        s.bind(local);
        s.connect(server.tcpLocalAddress(), 5000);
        s.setSoTimeout(20_000);
        return s;
    }

    /** TCP REGISTER from a bound local port; returns the open registration connection. */
    private Socket registerTcp(String id, UdpPeer peer, InetSocketAddress privateEndpoint) throws Exception {
        Socket s = connectTcp(new InetSocketAddress(LO, 0));
        byte[] req = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, id)
                .addXorAddress(StunAttributeType.TCP_PRIVATE_ENDPOINT, privateEndpoint)
                .build().encode(peer.key(), true);
        s.getOutputStream().write(req);
        StunMessage ok = readStun(s.getInputStream());
        assertEquals(StunMethod.REGISTER, ok.method());
        assertEquals(StunClass.SUCCESS_RESPONSE, ok.messageClass(), () -> "refused: " + ok.errorReason());
        assertTrue(ok.checkIntegrity(peer.key()));
        assertEquals(s.getLocalSocketAddress(), ok.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow(),
                "XOR-MAPPED-ADDRESS is the bound local port");
        return s;
    }

    private Socket attach(String id, UdpPeer peer, byte[] introId) throws IOException {
        Socket s = connectTcp(new InetSocketAddress(LO, 0));
        s.getOutputStream().write(StunMessage.builder(StunMethod.RELAY_ATTACH, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, id)
                .addAttribute(StunAttributeType.INTRO_ID, introId)
                .build().encode(peer.key(), true));
        return s;
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void writeAll(Socket s, byte[] data) throws IOException {
        OutputStream out = s.getOutputStream();
        for (int off = 0; off < data.length; off += 64 * 1024) {
            out.write(data, off, Math.min(64 * 1024, data.length - off));
        }
        out.flush();
    }

    private static byte[] readToEof(Socket s) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream(TEN_MB + 1024);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[64 * 1024];
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
            got.write(buf, 0, n);
        }
        return got.toByteArray();
    }

    // --- tests ----------------------------------------------------------------------------

    @Test
    void tcpRegisterConnectAndTheSplicedRelayCarryTenMegabytesEachWayWithHalfClose() throws Exception {
        assertEquals(server.localAddress(), server.tcpLocalAddress(), "TCP on the UDP port number");
        UdpPeer alice = registerUdp("alice");
        UdpPeer bob = registerUdp("bob");
        InetSocketAddress alicePrivate = new InetSocketAddress("10.0.0.1", 5555);
        InetSocketAddress bobPrivate = new InetSocketAddress("10.1.1.3", 5555);
        try (Socket aliceReg = registerTcp("alice", alice, alicePrivate);
             Socket bobReg = registerTcp("bob", bob, bobPrivate)) {
            // KEEPALIVE over the registration connection.
            aliceReg.getOutputStream().write(StunMessage.builder(StunMethod.KEEPALIVE, StunClass.REQUEST, tid())
                    .addString(StunAttributeType.PEER_ID, "alice").build().encode(alice.key(), true));
            StunMessage kept = readStun(aliceReg.getInputStream());
            assertEquals(StunClass.SUCCESS_RESPONSE, kept.messageClass());
            assertTrue(kept.checkIntegrity(alice.key()));

            // CONNECT over UDP with TRANSPORT=1: both sides learn the other's TCP endpoints.
            StunMessage answer = udpExchange(alice.socket(), StunMessage.builder(StunMethod.CONNECT, StunClass.REQUEST, tid())
                    .addString(StunAttributeType.PEER_ID, "alice").addString(StunAttributeType.TARGET_ID, "bob")
                    .addByte(StunAttributeType.TRANSPORT, Signaling.TRANSPORT_TCP).build().encode(alice.key(), true));
            assertEquals(StunClass.SUCCESS_RESPONSE, answer.messageClass(), () -> "refused: " + answer.errorReason());
            assertEquals(bobReg.getLocalSocketAddress(), answer.xorAddress(StunAttributeType.TCP_PUBLIC_ENDPOINT).orElseThrow());
            assertEquals(java.util.List.of(bobPrivate), answer.xorAddresses(StunAttributeType.TCP_PRIVATE_ENDPOINT));
            StunMessage intro = udpReceive(bob.socket());
            assertEquals(StunMethod.INTRODUCE, intro.method());
            assertEquals(aliceReg.getLocalSocketAddress(), intro.xorAddress(StunAttributeType.TCP_PUBLIC_ENDPOINT).orElseThrow());
            byte[] ack = StunMessage.builder(StunMethod.INTRODUCE, StunClass.SUCCESS_RESPONSE, intro.transactionId())
                    .build().encode(bob.key(), true);
            bob.socket().send(new DatagramPacket(ack, ack.length, server.localAddress()));
            byte[] introId = answer.bytes(StunAttributeType.INTRO_ID).orElseThrow();

            // RELAY-ATTACH from both: answered once both are there, then spliced.
            try (Socket a = attach("alice", alice, introId)) {
                Thread.sleep(100); // let alice's attach wait alone for a moment
                try (Socket b = attach("bob", bob, introId)) {
                    StunMessage okA = readStun(a.getInputStream());
                    StunMessage okB = readStun(b.getInputStream());
                    assertEquals(StunClass.SUCCESS_RESPONSE, okA.messageClass(), () -> "refused: " + okA.errorReason());
                    assertEquals(StunClass.SUCCESS_RESPONSE, okB.messageClass(), () -> "refused: " + okB.errorReason());
                    assertTrue(okA.checkIntegrity(alice.key()));
                    assertTrue(okB.checkIntegrity(bob.key()));

                    byte[] aliceData = random(1, TEN_MB);
                    byte[] bobData = random(2, TEN_MB);
                    byte[] trailer = "still here after your FIN".getBytes(StandardCharsets.UTF_8);
                    Future<?> aliceWrites = pool.submit(() -> {
                        writeAll(a, aliceData);
                        a.shutdownOutput(); // half-close: alice still reads
                        return null;
                    });
                    Future<byte[]> bobReads = pool.submit(() -> readToEof(b));
                    Future<?> bobWrites = pool.submit(() -> {
                        writeAll(b, bobData);
                        return null;
                    });
                    Future<byte[]> aliceReads = pool.submit(() -> readToEof(a));

                    aliceWrites.get(60, TimeUnit.SECONDS);
                    byte[] atBob = bobReads.get(60, TimeUnit.SECONDS);
                    assertEquals(aliceData.length, atBob.length, "bytes alice -> bob before EOF");
                    assertArrayEquals(aliceData, atBob, "alice -> bob byte for byte");
                    // Bob has read EOF and can still write back.
                    bobWrites.get(60, TimeUnit.SECONDS);
                    b.getOutputStream().write(trailer);
                    b.shutdownOutput();
                    byte[] atAlice = aliceReads.get(60, TimeUnit.SECONDS);
                    assertEquals(bobData.length + trailer.length, atAlice.length, "bytes bob -> alice before EOF");
                    assertArrayEquals(bobData, Arrays.copyOf(atAlice, bobData.length), "bob -> alice byte for byte");
                    assertArrayEquals(trailer, Arrays.copyOfRange(atAlice, bobData.length, atAlice.length));
                }
            }
            // The registration connections are untouched by all this.
            bobReg.getOutputStream().write(StunMessage.builder(StunMethod.KEEPALIVE, StunClass.REQUEST, tid())
                    .addString(StunAttributeType.PEER_ID, "bob").build().encode(bob.key(), true));
            assertEquals(StunClass.SUCCESS_RESPONSE, readStun(bobReg.getInputStream()).messageClass());
        } finally {
            alice.socket().close();
            bob.socket().close();
        }
    }

    /** Registers two peers over UDP, introduces them (UDP CONNECT) and attaches both to the relay. */
    private Socket[] splicedPair() throws Exception {
        UdpPeer alice = registerUdp("alice");
        UdpPeer bob = registerUdp("bob");
        StunMessage answer = udpExchange(alice.socket(), StunMessage.builder(StunMethod.CONNECT, StunClass.REQUEST, tid())
                .addString(StunAttributeType.PEER_ID, "alice").addString(StunAttributeType.TARGET_ID, "bob")
                .build().encode(alice.key(), true));
        byte[] introId = answer.bytes(StunAttributeType.INTRO_ID).orElseThrow();
        alice.socket().close();
        bob.socket().close();
        Socket a = attach("alice", alice, introId);
        Socket b = attach("bob", bob, introId);
        assertEquals(StunClass.SUCCESS_RESPONSE, readStun(a.getInputStream()).messageClass());
        assertEquals(StunClass.SUCCESS_RESPONSE, readStun(b.getInputStream()).messageClass());
        return new Socket[] {a, b};
    }

    /**
     * Backpressure: while bob does not read, the server stops reading from alice instead of
     * buffering, so alice's writes block once the kernel buffers on the way are full.
     */
    @Test
    void aStalledReaderStopsTheWriterAndACloseReachesTheOtherSide() throws Exception {
        Socket[] pair = splicedPair();
        try (Socket a = pair[0]; Socket b = pair[1]) {
            int total = 96 * 1024 * 1024; // far beyond what loopback socket buffers hold
            byte[] chunk = random(3, 64 * 1024);
            Future<?> writer = pool.submit(() -> {
                OutputStream out = a.getOutputStream();
                for (int sent = 0; sent < total; sent += chunk.length) {
                    out.write(chunk);
                }
                return null;
            });
            Thread.sleep(1500);
            assertTrue(!writer.isDone(), "alice wrote 96 MB while bob read nothing: the server buffered it");
            InputStream in = b.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            int at = 0;
            while (got < total) {
                int n = in.read(buf);
                assertTrue(n > 0, "EOF after " + got + " bytes");
                for (int i = 0; i < n; i++) {
                    if (buf[i] != chunk[at]) {
                        throw new AssertionError("byte " + (got + i) + " differs");
                    }
                    at = (at + 1) % chunk.length;
                }
                got += n;
            }
            writer.get(30, TimeUnit.SECONDS);
            a.close(); // a full close: bob's side is closed too
            assertEquals(-1, in.read());
        }
    }

    @Test
    void tcpRegisterWithoutUdpRegistrationGets437AndGarbageGetsClosed() throws Exception {
        try (Socket s = connectTcp(new InetSocketAddress(LO, 0))) {
            s.getOutputStream().write(StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid())
                    .addString(StunAttributeType.PEER_ID, "nobody").build().encode(new byte[16], true));
            StunMessage err = readStun(s.getInputStream());
            assertEquals(Signaling.ERR_NOT_REGISTERED, err.errorCode().orElseThrow());
        }
        // The same with its first byte alone: the protocol is told by two bytes, so the server waits for the second.
        try (Socket s = connectTcp(new InetSocketAddress(LO, 0))) {
            byte[] register = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid())
                    .addString(StunAttributeType.PEER_ID, "nobody").build().encode(new byte[16], true);
            s.getOutputStream().write(register, 0, 1);
            s.getOutputStream().flush();
            Thread.sleep(100);
            s.getOutputStream().write(register, 1, register.length - 1);
            StunMessage err = readStun(s.getInputStream());
            assertEquals(Signaling.ERR_NOT_REGISTERED, err.errorCode().orElseThrow());
        }
        try (Socket s = connectTcp(new InetSocketAddress(LO, 0))) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            int read;
            try {
                read = s.getInputStream().read();
            } catch (SocketException reset) {
                read = -1;
            }
            assertEquals(-1, read, "closed without an answer");
        }
    }
}
