package io.p2pnat.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.discovery.BehaviorResponder;
import io.p2pnat.core.discovery.ServerSocketRole;
import io.p2pnat.core.rendezvous.BindingResponder;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.rendezvous.RendezvousService;
import io.p2pnat.core.rendezvous.StreamCommand;
import io.p2pnat.core.turn.ChannelData;
import io.p2pnat.core.turn.TurnConfig;
import io.p2pnat.core.turn.TurnOutput;
import io.p2pnat.core.turn.TurnService;
import io.p2pnat.core.turn.TurnUsers;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * RFC 5128 §6.2: the servers must be no useful amplifiers for strangers, yet answer what standard
 * clients send. For every kind of request a source that has not authenticated can send to the
 * rendezvous service (UDP and TCP), the TURN service and the RFC 5780 / alternate-port Binding
 * responders, a source sends {@value #N} requests (one every 20 ms on a manual clock); every
 * answer must be within {@link SourceBudget#sizeLimit} of its request (at most
 * {@link SourceBudget#MAX_RATIO}x and {@link SourceBudget#MAX_ANSWER_BYTES} bytes), so the totals
 * are too. The report lists, per kind, the largest answer and the worst bytes-out/bytes-in ratio
 * of a single answer. The other tests show the standard clients' side (answered at once, many
 * behind one address) and the per-source and global rate limits.
 */
class AmplificationTest {
    private static final int N = 50;
    private static final long STEP = Duration.ofMillis(20).toNanos();
    private static final Map<String, double[]> RESULTS = new LinkedHashMap<>();

    private final ManualClock clock = new ManualClock(1_000_000_000_000L);
    private final Random random = new Random(7);
    private int nextHost = 1;

    // --- harness --------------------------------------------------------------------------

    /** Sends {@code N} requests from one fresh source; {@code exchange} returns the bytes answered to it. */
    private void flood(String kind, Function<InetSocketAddress, byte[]> request,
                       Exchange exchange) {
        flood(kind, new InetSocketAddress(ip("198.51.100." + nextHost++), 40000 + nextHost), request, exchange);
    }

    private void flood(String kind, InetSocketAddress src, Function<InetSocketAddress, byte[]> request, Exchange exchange) {
        long in = 0;
        long out = 0;
        long largest = 0;
        double worst = 0;
        for (int i = 0; i < N; i++) {
            byte[] req = request.apply(src);
            in += req.length;
            long answered = exchange.send(clock.nanoTime(), src, req);
            out += answered;
            assertTrue(answered <= SourceBudget.sizeLimit(req.length),
                    kind + ": " + answered + " bytes answered to a " + req.length + "-byte request");
            largest = Math.max(largest, answered);
            worst = Math.max(worst, (double) answered / req.length);
            clock.advance(Duration.ofNanos(STEP));
        }
        RESULTS.put(kind, new double[] {in, out, largest, worst});
        assertTrue(out <= (long) SourceBudget.MAX_RATIO * in, kind + ": " + out + " bytes out for " + in + " in");
    }

    @FunctionalInterface
    private interface Exchange {
        /** Feeds one request, returns the number of bytes sent back to {@code src}. */
        long send(long now, InetSocketAddress src, byte[] req);
    }

    @AfterAll
    static void report() {
        StringBuilder sb = new StringBuilder("amplification (" + N + " requests per kind; largest answer, worst ratio of one"
                + " answer to its request, totals):\n");
        RESULTS.forEach((k, v) -> sb.append(String.format("  %-48s largest %4.0f B  worst %.2fx  in %6.0f  out %6.0f%n",
                k, v[2], v[3], v[0], v[1])));
        System.out.print(sb);
    }

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private TransactionId tid() {
        return TransactionId.random(random);
    }

    private StunMessage.Builder req(int method) {
        return StunMessage.builder(method, StunClass.REQUEST, tid());
    }

    private byte[] garbage() {
        byte[] b = new byte[1 + random.nextInt(200)];
        random.nextBytes(b);
        return b;
    }

    /** STUN-looking (right cookie, plausible length) but with a corrupt attribute. */
    private byte[] brokenStun() {
        byte[] b = req(StunMethod.BINDING).addString(StunAttributeType.SOFTWARE, "xxxxxxxx").build().encode();
        b[22] = (byte) 0x7F; // attribute length beyond the message
        return b;
    }

    private byte[] signedBy(int method, String id, boolean withTarget) {
        byte[] key = new byte[16];
        random.nextBytes(key);
        StunMessage.Builder b = req(method).addString(StunAttributeType.PEER_ID, id);
        if (withTarget) {
            b.addString(StunAttributeType.TARGET_ID, "bob");
        }
        return b.build().encode(key, true);
    }

    // --- rendezvous over UDP ----------------------------------------------------------------

    private final RendezvousService rendezvous = new RendezvousService(RendezvousConfig.defaults(), new Random(1));

    private long rendezvousUdp(long now, InetSocketAddress src, byte[] req) {
        rendezvous.handleInput(now, src, req, 0, req.length);
        long out = 0;
        for (Transmit t; (t = rendezvous.pollTransmit()) != null; ) {
            if (t.destination().getAddress().equals(src.getAddress())) {
                out += t.payload().length;
            }
        }
        return out;
    }

    @Test
    void rendezvousUdp() {
        flood("rendezvous/udp Binding (20 B)", s -> req(StunMethod.BINDING).build().encode(), this::rendezvousUdp);
        flood("rendezvous/udp Binding+FINGERPRINT", s -> req(StunMethod.BINDING).build().encode(null, true),
                this::rendezvousUdp);
        flood("rendezvous/udp REGISTER no cookie", s -> req(StunMethod.REGISTER)
                .addString(StunAttributeType.PEER_ID, "alice").build().encode(null, true), this::rendezvousUdp);
        flood("rendezvous/udp REGISTER no cookie, padded", s -> req(StunMethod.REGISTER)
                .addString(StunAttributeType.PEER_ID, "alice")
                .addAttribute(Signaling.PADDING, new byte[Signaling.MIN_REGISTER_SIZE]).build().encode(null, true),
                this::rendezvousUdp);
        flood("rendezvous/udp REGISTER bad cookie", s -> {
            byte[] cookie = new byte[16];
            random.nextBytes(cookie);
            return req(StunMethod.REGISTER).addString(StunAttributeType.PEER_ID, "alice")
                    .addAttribute(StunAttributeType.COOKIE, cookie)
                    .addAttribute(Signaling.PADDING, new byte[64]).build().encode(null, true);
        }, this::rendezvousUdp);
        flood("rendezvous/udp REGISTER bad peer id", s -> req(StunMethod.REGISTER)
                .addString(StunAttributeType.PEER_ID, "\u0001bad id\u0002")
                .addAttribute(Signaling.PADDING, new byte[64]).build().encode(), this::rendezvousUdp);
        flood("rendezvous/udp KEEPALIVE unknown id", s -> signedBy(StunMethod.KEEPALIVE, "mallory", false),
                this::rendezvousUdp);
        flood("rendezvous/udp KEEPALIVE no id", s -> req(StunMethod.KEEPALIVE).build().encode(), this::rendezvousUdp);
        flood("rendezvous/udp CONNECT unknown id", s -> signedBy(StunMethod.CONNECT, "mallory", true),
                this::rendezvousUdp);
        flood("rendezvous/udp LOOKUP unknown id", s -> signedBy(StunMethod.LOOKUP, "mallory", true),
                this::rendezvousUdp);
        flood("rendezvous/udp other method / INTRODUCE answer", s -> random.nextBoolean()
                ? req(StunMethod.ALLOCATE).build().encode()
                : StunMessage.builder(StunMethod.INTRODUCE, StunClass.SUCCESS_RESPONSE, tid()).build().encode(),
                this::rendezvousUdp);
        flood("rendezvous/udp garbage", s -> garbage(), this::rendezvousUdp);
        flood("rendezvous/udp malformed STUN", s -> brokenStun(), this::rendezvousUdp);
        flood("rendezvous/udp relay frame, unknown session", s -> {
            byte[] f = garbage();
            byte[] frame = new byte[9 + f.length];
            frame[0] = Signaling.RELAY_FRAME;
            System.arraycopy(f, 0, frame, 9, f.length);
            for (int i = 1; i < 9; i++) {
                frame[i] = (byte) random.nextInt();
            }
            return frame;
        }, this::rendezvousUdp);
        assertEquals(0, rendezvous.registrationCount());
        assertEquals(0, rendezvous.relaySessionCount());
    }

    // --- rendezvous over TCP ----------------------------------------------------------------

    private long nextConn = 1;

    /** One connection per request; returns bytes written back on it. */
    private long rendezvousTcp(long now, InetSocketAddress src, byte[] req) {
        long id = nextConn++;
        rendezvous.handleStreamOpened(now, id, src);
        // in two pieces, to exercise the framer
        int cut = req.length / 2;
        rendezvous.handleStreamData(now, id, req, 0, cut);
        rendezvous.handleStreamData(now, id, req, cut, req.length - cut);
        long out = 0;
        for (StreamCommand c; (c = rendezvous.pollStreamCommand()) != null; ) {
            if (c instanceof StreamCommand.Write w && w.connId() == id) {
                out += w.bytes().length;
            }
        }
        rendezvous.handleStreamClosed(now, id);
        return out;
    }

    @Test
    void rendezvousTcp() {
        flood("rendezvous/tcp Binding (20 B)", s -> req(StunMethod.BINDING).build().encode(), this::rendezvousTcp);
        flood("rendezvous/tcp REGISTER unknown id", s -> signedBy(StunMethod.REGISTER, "mallory", false),
                this::rendezvousTcp);
        flood("rendezvous/tcp REGISTER no id", s -> req(StunMethod.REGISTER).build().encode(), this::rendezvousTcp);
        flood("rendezvous/tcp KEEPALIVE unknown id", s -> signedBy(StunMethod.KEEPALIVE, "mallory", false),
                this::rendezvousTcp);
        flood("rendezvous/tcp RELAY-ATTACH unknown id", s -> signedBy(StunMethod.RELAY_ATTACH, "mallory", false),
                this::rendezvousTcp);
        flood("rendezvous/tcp garbage", s -> garbage(), this::rendezvousTcp);
        flood("rendezvous/tcp malformed STUN", s -> brokenStun(), this::rendezvousTcp);
        assertEquals(0, rendezvous.streamConnectionCount());
    }

    // --- TURN -------------------------------------------------------------------------------

    private final TurnService turn = new TurnService(TurnConfig.defaults("p2pnat", ip("192.0.2.128")).withPorts(50000, 50009),
            TurnUsers.parse(List.of("alice:secret"), "p2pnat"), new Random(3), () -> 1_700_000_000L);

    private long turn(long now, InetSocketAddress src, byte[] req) {
        turn.handleClientInput(now, src, req, 0, req.length);
        long out = 0;
        for (TurnOutput o; (o = turn.poll()) != null; ) {
            if (o instanceof TurnOutput.ToClient c && c.client().getAddress().equals(src.getAddress())) {
                out += c.payload().length;
            } else if (o instanceof TurnOutput.ToPeer p) {
                out += p.payload().length; // never expected: counts against the stranger
            }
        }
        return out;
    }

    private byte[] transport() {
        return new byte[] {17, 0, 0, 0};
    }

    @Test
    void turn() {
        flood("turn Allocate bare (28 B)", s -> req(StunMethod.ALLOCATE)
                .addAttribute(StunAttributeType.REQUESTED_TRANSPORT, transport()).build().encode(), this::turn);
        flood("turn Allocate +FINGERPRINT +SOFTWARE", s -> req(StunMethod.ALLOCATE)
                .addAttribute(StunAttributeType.REQUESTED_TRANSPORT, transport())
                .addString(StunAttributeType.SOFTWARE, "Coturn-4.6.1 'Gorst'").build().encode(null, true), this::turn);
        flood("turn Allocate bad credentials", s -> req(StunMethod.ALLOCATE)
                .addAttribute(StunAttributeType.REQUESTED_TRANSPORT, transport())
                .addString(StunAttributeType.USERNAME, "alice").addString(StunAttributeType.REALM, "p2pnat")
                .addString(StunAttributeType.NONCE, "0123456789abcdef").build().encode(new byte[16], true), this::turn);
        flood("turn Refresh no credentials", s -> req(StunMethod.REFRESH)
                .addUint32(StunAttributeType.LIFETIME, 600).build().encode(), this::turn);
        flood("turn CreatePermission no credentials", s -> req(StunMethod.CREATE_PERMISSION)
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, new InetSocketAddress(ip("203.0.113.9"), 9))
                .build().encode(), this::turn);
        flood("turn ChannelBind no credentials", s -> req(StunMethod.CHANNEL_BIND)
                .addUint32(StunAttributeType.CHANNEL_NUMBER, 0x40000000)
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, new InetSocketAddress(ip("203.0.113.9"), 9))
                .build().encode(), this::turn);
        flood("turn Send indication, no allocation", s -> StunMessage.builder(StunMethod.SEND, StunClass.INDICATION, tid())
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, new InetSocketAddress(ip("203.0.113.9"), 9))
                .addAttribute(StunAttributeType.DATA, garbage()).build().encode(), this::turn);
        flood("turn ChannelData, no allocation", s -> ChannelData.encode(0x4000 + random.nextInt(0x3FFF),
                new byte[10], 0, 10), this::turn);
        flood("turn Binding / other method", s -> req(random.nextBoolean() ? StunMethod.BINDING : StunMethod.CONNECT)
                .build().encode(), this::turn);
        flood("turn garbage", s -> garbage(), this::turn);
        flood("turn malformed STUN", s -> brokenStun(), this::turn);
        assertEquals(0, turn.allocationCount());
    }

    // --- RFC 5780 responder and the alternate port ----------------------------------------------

    private final BehaviorResponder full = new BehaviorResponder(new InetSocketAddress(ip("192.0.2.128"), 3478), 3479,
            ip("192.0.2.129"));
    private final BehaviorResponder portOnly = new BehaviorResponder(new InetSocketAddress(ip("192.0.2.128"), 3478), 3479,
            null);
    private final SourceBudget alternateBudget = new SourceBudget();

    private Exchange responder(BehaviorResponder r, ServerSocketRole role) {
        return (now, src, req) -> {
            BehaviorResponder.Reply reply = r.handle(now, role, src, req, 0, req.length);
            return reply == null ? 0 : reply.payload().length;
        };
    }

    private final BehaviorResponder fullV6 = new BehaviorResponder(new InetSocketAddress(ip("2001:db8::128"), 3478), 3479,
            ip("2001:db8::129"));

    /** An RFC 3489 Binding request: no magic cookie, a 128-bit transaction id, optionally CHANGE-REQUEST. */
    private byte[] classic(int flags) {
        byte[] b = new byte[flags < 0 ? 20 : 28];
        b[1] = 0x01;
        b[3] = (byte) (b.length - 20);
        for (int i = 4; i < 20; i++) {
            b[i] = (byte) random.nextInt();
        }
        if (flags >= 0) {
            b[21] = 0x03;
            b[23] = 0x04;
            b[27] = (byte) flags;
        }
        return b;
    }

    private byte[] change(int flags) {
        return req(StunMethod.BINDING).addUint32(StunAttributeType.CHANGE_REQUEST, flags).build().encode();
    }

    @Test
    void behaviorResponder() {
        flood("rfc5780 Binding (20 B)", s -> req(StunMethod.BINDING).build().encode(),
                responder(full, ServerSocketRole.PRIMARY));
        flood("rfc5780 Binding on changed address+port", s -> req(StunMethod.BINDING).build().encode(null, true),
                responder(full, ServerSocketRole.CHANGED_BOTH));
        flood("rfc5780 CHANGE-REQUEST ip+port", s -> change(0x06), responder(full, ServerSocketRole.PRIMARY));
        flood("rfc5780 CHANGE-REQUEST port", s -> change(0x02), responder(full, ServerSocketRole.PRIMARY));
        flood("rfc5780 CHANGE-REQUEST ip, no alternate ip (420)", s -> change(0x04),
                responder(portOnly, ServerSocketRole.PRIMARY));
        flood("rfc5780 RESPONSE-PORT (420)", s -> req(StunMethod.BINDING)
                .addAttribute(StunAttributeType.RESPONSE_PORT, new byte[] {0, 9, 0, 0}).build().encode(),
                responder(full, ServerSocketRole.PRIMARY));
        flood("rfc5780 PADDING (answer padded)", s -> req(StunMethod.BINDING)
                .addAttribute(StunAttributeType.PADDING, new byte[random.nextInt(300) & ~3]).build().encode(null, true),
                responder(full, ServerSocketRole.PRIMARY));
        flood("rfc5780 Binding over IPv6 (20 B)", new InetSocketAddress(ip("2001:db8:1::" + nextHost++), 5000),
                s -> req(StunMethod.BINDING).build().encode(), responder(fullV6, ServerSocketRole.PRIMARY));
        flood("rfc3489 classic Binding (20 B)", s -> classic(-1), responder(full, ServerSocketRole.PRIMARY));
        flood("rfc3489 classic CHANGE-REQUEST ip+port", s -> classic(0x06), responder(full, ServerSocketRole.PRIMARY));
        flood("rfc3489 classic Binding over IPv6", new InetSocketAddress(ip("2001:db8:1::" + nextHost++), 5000),
                s -> classic(-1), responder(fullV6, ServerSocketRole.PRIMARY));
        flood("rfc5780 garbage", s -> garbage(), responder(full, ServerSocketRole.PRIMARY));
        flood("rfc5780 malformed STUN", s -> brokenStun(), responder(full, ServerSocketRole.CHANGED_PORT));
        flood("alternate port Binding (20 B)", s -> req(StunMethod.BINDING).build().encode(), (now, src, req) -> {
            byte[] a = BindingResponder.answer(now, alternateBudget, src, req, 0, req.length);
            return a == null ? 0 : a.length;
        });
    }

    // --- what standard clients see ------------------------------------------------------------

    @Test
    void standardClientsAreAnsweredAtOnce() {
        InetSocketAddress client = new InetSocketAddress(ip("203.0.113.5"), 5000);
        byte[] bare = req(StunMethod.BINDING).build().encode();
        assertEquals(32, rendezvousUdp(clock.nanoTime(), client, bare));
        // A retransmission 10 ms later (the answer was lost): answered too.
        clock.advance(Duration.ofMillis(10));
        assertEquals(32, rendezvousUdp(clock.nanoTime(), client, bare));
        // A keepalive-style Binding every 15 s (with FINGERPRINT, IPv6 answers even larger) for an hour.
        InetSocketAddress v6 = new InetSocketAddress(ip("2001:db8::5"), 5000);
        for (int i = 0; i < 240; i++) {
            clock.advance(Duration.ofSeconds(15));
            byte[] fp = req(StunMethod.BINDING).build().encode(null, true);
            assertEquals(52, rendezvousUdp(clock.nanoTime(), v6, fp), "binding " + i);
        }
    }

    /** Hundreds of users behind one carrier-grade NAT address, all gathering at once. */
    @Test
    void manyClientsBehindOneAddressAreAllAnswered() {
        InetAddress cgn = ip("100.64.0.1");
        for (int i = 0; i < 300; i++) { // 300 Bindings within 150 ms from one address
            InetSocketAddress client = new InetSocketAddress(cgn, 1024 + i);
            assertEquals(32, rendezvousUdp(clock.nanoTime(), client, req(StunMethod.BINDING).build().encode()), "client " + i);
            clock.advance(Duration.ofNanos(500_000));
        }
        for (int i = 0; i < 100; i++) { // and 100 browsers' bare first Allocates: each gets its 401
            InetSocketAddress client = new InetSocketAddress(cgn, 2024 + i);
            byte[] allocate = req(StunMethod.ALLOCATE).addAttribute(StunAttributeType.REQUESTED_TRANSPORT, transport())
                    .build().encode();
            assertEquals(28, allocate.length);
            assertTrue(turn(clock.nanoTime(), client, allocate) > 0, "browser " + i + " got no 401");
            clock.advance(Duration.ofNanos(500_000));
        }
    }

    /** A third-party RFC 5780 client sends unpadded tests back to back: every one is answered, from the socket it asks for. */
    @Test
    void unpaddedRfc5780TestsAreAnsweredFromTheRightSocket() {
        InetSocketAddress client = new InetSocketAddress(ip("203.0.113.6"), 5000);
        int[] flags = {0, 0x06, 0x02, 0, 0x06, 0x02};
        ServerSocketRole[] expected = {ServerSocketRole.PRIMARY, ServerSocketRole.CHANGED_BOTH, ServerSocketRole.CHANGED_PORT,
                ServerSocketRole.PRIMARY, ServerSocketRole.CHANGED_BOTH, ServerSocketRole.CHANGED_PORT};
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < flags.length; i++) {
                byte[] r = flags[i] == 0 ? req(StunMethod.BINDING).build().encode() : change(flags[i]);
                assertTrue(full.claims(ServerSocketRole.PRIMARY, r, 0, r.length));
                BehaviorResponder.Reply reply = full.handle(clock.nanoTime(), ServerSocketRole.PRIMARY, client, r, 0, r.length);
                assertNotNull(reply, "round " + round + " test " + i);
                assertEquals(expected[i], reply.from());
                clock.advance(Duration.ofMillis(1));
            }
        }
    }

    /** Over TCP the handshake proved the source: nothing is metered (a Binding right after a UDP flood, 1000 401s). */
    @Test
    void streamsAreNotMetered() {
        InetSocketAddress host = new InetSocketAddress(ip("203.0.113.10"), 7000);
        for (int i = 0; i < 2000; i++) { // spend the address's UDP budget
            rendezvousUdp(clock.nanoTime(), host, req(StunMethod.BINDING).build().encode());
        }
        assertEquals(0, rendezvousUdp(clock.nanoTime(), host, req(StunMethod.BINDING).build().encode()), "UDP is limited now");
        for (int i = 0; i < 100; i++) {
            assertEquals(32, rendezvousTcp(clock.nanoTime(), new InetSocketAddress(host.getAddress(), 7001 + i),
                    req(StunMethod.BINDING).build().encode()), "TCP Binding " + i);
        }
        for (int i = 0; i < 1000; i++) {
            byte[] allocate = req(StunMethod.ALLOCATE).addAttribute(StunAttributeType.REQUESTED_TRANSPORT, transport())
                    .build().encode();
            turn.handleStreamInput(clock.nanoTime(), host, allocate, 0, allocate.length);
            int answered = 0;
            for (TurnOutput o; (o = turn.poll()) != null; ) {
                if (o instanceof TurnOutput.ToClient c && c.stream()) {
                    answered = c.payload().length;
                }
            }
            assertEquals(64, answered, "401 over TCP " + i + " (with its reason phrase)");
        }
    }

    @Test
    void paddedNatCheckBurstIsNeverHeldBack() {
        InetSocketAddress client = new InetSocketAddress(ip("203.0.113.6"), 5000);
        for (int i = 0; i < 40; i++) {
            byte[] r = req(StunMethod.BINDING).addUint32(StunAttributeType.CHANGE_REQUEST, i % 4 * 2)
                    .addAttribute(StunAttributeType.PADDING, new byte[68]).build().encode(null, true);
            BehaviorResponder.Reply reply = full.handle(clock.nanoTime(), ServerSocketRole.PRIMARY, client, r, 0, r.length);
            assertNotNull(reply, "request " + i);
            assertTrue(reply.payload().length <= r.length);
        }
    }

    // --- rate limits ----------------------------------------------------------------------------

    @Test
    void answersAreRateLimitedPerSource() {
        InetSocketAddress flooder = new InetSocketAddress(ip("203.0.113.7"), 6000);
        int answered = 0;
        for (int i = 0; i < 2000; i++) { // 2000 requests within one second
            byte[] r = signedBy(StunMethod.KEEPALIVE, "mallory", false);
            if (rendezvousUdp(clock.nanoTime(), flooder, r) > 0) {
                answered++;
            }
            clock.advance(Duration.ofNanos(500_000));
        }
        assertTrue(answered <= SourceBudget.ANSWER_BURST + SourceBudget.ANSWERS_PER_SECOND + 1, answered + " errors answered");
        assertTrue(answered >= SourceBudget.ANSWER_BURST, answered + " errors answered");
        // Another source is not affected; the flooder recovers after a quiet while.
        InetSocketAddress other = new InetSocketAddress(ip("203.0.113.8"), 6000);
        assertTrue(rendezvousUdp(clock.nanoTime(), other, signedBy(StunMethod.KEEPALIVE, "mallory", false)) > 0);
        clock.advance(Duration.ofSeconds(2));
        assertTrue(rendezvousUdp(clock.nanoTime(), flooder, signedBy(StunMethod.KEEPALIVE, "mallory", false)) > 0);
    }

    @Test
    void turnChallengesAreRateLimitedPerSource() {
        InetSocketAddress flooder = new InetSocketAddress(ip("203.0.113.9"), 6000);
        int answered = 0;
        for (int i = 0; i < 2000; i++) { // 2000 Allocates within 200 ms
            byte[] r = req(StunMethod.ALLOCATE).addAttribute(StunAttributeType.REQUESTED_TRANSPORT, transport())
                    .build().encode();
            if (turn(clock.nanoTime(), flooder, r) > 0) {
                answered++;
            }
            clock.advance(Duration.ofNanos(100_000));
        }
        assertTrue(answered >= SourceBudget.ANSWER_BURST && answered <= SourceBudget.ANSWER_BURST
                + SourceBudget.ANSWERS_PER_SECOND / 5 + 1, answered + " challenges answered");
        assertTrue(turn.stats().rateLimited() > 0);
    }

    /** What a spoofed flood aimed at one victim can make the server send it beyond the flood's own bytes. */
    @Test
    void excessBytesPerSourceAreBounded() {
        SourceBudget b = new SourceBudget(16, 1_000_000, 1_000_000); // answers unlimited: only the byte bucket counts
        InetAddress victim = ip("198.51.100.200");
        long t = clock.nanoTime();
        long extra = 0;
        for (int i = 0; i < 100_000; i++) { // 10 s at 10,000 requests/s, each answer 80 bytes over
            if (b.answer(t, victim, 20, 100)) {
                extra += 80;
            }
            t += 100_000;
        }
        assertTrue(extra <= SourceBudget.EXTRA_BURST + 10L * SourceBudget.EXTRA_PER_SECOND + 80, extra + " excess bytes");
        assertTrue(extra >= SourceBudget.EXTRA_BURST + 9L * SourceBudget.EXTRA_PER_SECOND, extra + " excess bytes");
    }

    /** Many spoofed victims at once (or a churned table): the server's total excess is bounded too. */
    @Test
    void excessBytesOverAllSourcesAreBounded() {
        SourceBudget b = new SourceBudget(1_000_000);
        long t = clock.nanoTime();
        long extra = 0;
        for (int i = 0; i < 200_000; i++) { // 200,000 victims within 1 s, 10 answers each 100 bytes over
            InetAddress a = ip("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255));
            for (int k = 0; k < 10; k++) {
                if (b.answer(t, a, 28, 128)) {
                    extra += 100;
                }
            }
            t += 5_000;
        }
        assertTrue(extra <= SourceBudget.GLOBAL_EXTRA_BURST + SourceBudget.GLOBAL_EXTRA_PER_SECOND + 100, extra + " excess bytes");
    }

    @Test
    void answersBeyondTheSizeRuleAreRefused() {
        SourceBudget b = new SourceBudget();
        InetAddress a = ip("198.51.100.201");
        assertTrue(b.answer(clock.nanoTime(), a, 20, 100));   // 5x, under 128 bytes
        assertTrue(!b.answer(clock.nanoTime(), a, 20, 101));  // over 5x
        assertTrue(!b.answer(clock.nanoTime(), a, 40, 132));  // over 128 bytes
        assertTrue(b.answer(clock.nanoTime(), a, 400, 400));  // never larger than the request: fine
    }

    @Test
    void strangersNeverGetUnboundedState() {
        SourceBudget small = new SourceBudget(100);
        for (int i = 0; i < 10_000; i++) {
            InetAddress a = ip("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255));
            small.answer(clock.nanoTime(), a, 20, 32);
        }
        assertEquals(100, small.size());
        // The rendezvous service's own table is bounded too.
        for (int i = 0; i < 20_000; i++) {
            InetSocketAddress s = new InetSocketAddress(ip("100.64." + (i >> 8 & 255) + "." + (i & 255)), 1);
            rendezvousUdp(clock.nanoTime(), s, req(StunMethod.BINDING).build().encode());
        }
        assertEquals(SourceBudget.DEFAULT_MAX_SOURCES, rendezvous.sourceBudget().size());
    }
}
