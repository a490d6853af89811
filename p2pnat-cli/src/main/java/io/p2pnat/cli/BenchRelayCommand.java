package io.p2pnat.cli;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.rendezvous.RendezvousService;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `p2pnat bench relay`: registers peer pairs and introduces them through one sans-I/O
 * {@link RendezvousService}, in process, through its public datagram API (REGISTER with the
 * cookie round trip, CONNECT, the target's INTRODUCE acknowledgement). Each introduction creates
 * a native relay session (RFC 5128 §3.1 relaying over the peers' server sessions, no relay port).
 * Heap is measured after full GCs before and after.
 */
@Command(name = "relay", mixinStandardHelpOptions = true,
        description = {"Count the native relay sessions one rendezvous service holds and the heap bytes each costs.",
                "Creates N registered peer pairs and N introductions in process (no sockets)."})
final class BenchRelayCommand implements Callable<Integer> {
    @Option(names = "--pairs", paramLabel = "N", defaultValue = "100000",
            description = "Peer pairs to register and introduce (default: ${DEFAULT-VALUE}).")
    int pairs;

    private final Random random = new Random(1);
    private final byte[] scratchId = new byte[TransactionId.LENGTH];
    private long now = 1_000_000_000_000L;

    @Override
    public Integer call() throws Exception {
        if (pairs < 1 || pairs > 2_000_000) {
            throw new Main.UsageError("bad --pairs " + pairs + ": must be 1-2000000");
        }
        PrintStream out = System.out;
        int peers = 2 * pairs;
        RendezvousConfig config = RendezvousConfig.defaults().withMaxRegistrations(Math.max(peers, 1))
                .withRegistrationLifetime(Duration.ofSeconds(3600));
        long base = heapAfterGc();
        RendezvousService service = new RendezvousService(config, random);
        long empty = heapAfterGc();
        byte[][] keys = new byte[peers][];
        long t0 = System.nanoTime();
        for (int i = 0; i < peers; i++) {
            keys[i] = register(service, i);
        }
        long t1 = System.nanoTime();
        long registered = heapAfterGc();
        for (int i = 0; i < pairs; i++) {
            connect(service, 2 * i, 2 * i + 1, keys[2 * i]);
        }
        long t2 = System.nanoTime();
        long introduced = heapAfterGc();
        int sessions = service.relaySessionCount();
        if (sessions != pairs || service.registrationCount() != peers) {
            out.printf("p2pnat bench relay: expected %d sessions and %d registrations, got %d and %d%n",
                    pairs, peers, sessions, service.registrationCount());
            return Main.EXIT_FAILURE;
        }
        out.printf(Locale.ROOT, "native relay sessions held: %,d (one per introduction; limit %,d by configuration)%n",
                sessions, config.maxRelaySessions());
        out.printf(Locale.ROOT, "heap per relay session:     %,d bytes (%,d sessions: %.1f MiB)%n",
                (introduced - registered) / pairs, pairs, (introduced - registered) / 1048576.0);
        out.printf(Locale.ROOT, "heap per registered peer:   %,d bytes (%,d peers: %.1f MiB)%n",
                (registered - empty) / peers, peers, (registered - empty) / 1048576.0);
        out.printf(Locale.ROOT, "heap per pair, all in:      %,d bytes (2 registrations + 1 session)%n",
                (introduced - empty) / pairs);
        out.printf(Locale.ROOT, "service: %.1f MiB empty; %,.0f registrations/s, %,.0f introductions/s (single thread)%n",
                (empty - base) / 1048576.0, peers / ((t1 - t0) / 1e9), pairs / ((t2 - t1) / 1e9));
        out.printf(Locale.ROOT, "JVM max heap %.0f MiB: room for about %,d sessions with their peers%n",
                Runtime.getRuntime().maxMemory() / 1048576.0,
                Runtime.getRuntime().maxMemory() / Math.max(1, (introduced - empty) / pairs));
        return 0;
    }

    /** REGISTER twice (the first gets the cookie challenge); returns the session key. */
    private byte[] register(RendezvousService s, int i) throws StunParseException {
        InetSocketAddress from = address(i);
        String id = "peer" + i;
        StunMessage first = ask(s, from, registerRequest(id, null, null));
        byte[] cookie = first.bytes(StunAttributeType.COOKIE).orElseThrow(() -> new IllegalStateException("no cookie: " + first));
        byte[] serverKey = first.bytes(StunAttributeType.SERVER_KEY).orElseThrow();
        StunMessage ok = ask(s, from, registerRequest(id, cookie, serverKey));
        byte[] sealed = ok.bytes(StunAttributeType.SESSION_KEY).orElseThrow(() -> new IllegalStateException("not registered: " + ok));
        return io.p2pnat.core.rendezvous.KeyProofs.openSessionKey(identity(id), serverKey, sealed, ok.transactionId().toBytes());
    }

    /** Bench peers' identities (deterministic, like the simulator's; not for real use). */
    private static io.p2pnat.core.secure.Identity identity(String id) {
        return io.p2pnat.core.secure.Identity.insecureForTests(id);
    }

    private byte[] registerRequest(String id, byte[] cookie, byte[] serverKey) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, txn())
                .addString(StunAttributeType.PEER_ID, id)
                .addXorAddress(StunAttributeType.PRIVATE_ENDPOINT, new InetSocketAddress(address(0).getAddress(), 1234));
        if (cookie != null) {
            b.addAttribute(StunAttributeType.COOKIE, cookie);
            b.addAttribute(StunAttributeType.STATIC_KEY, identity(id).publicKey());
            b.addAttribute(StunAttributeType.KEY_PROOF,
                    io.p2pnat.core.rendezvous.KeyProofs.proof(identity(id), serverKey, cookie, id));
        }
        b.addAttribute(Signaling.PADDING, new byte[Signaling.MIN_REGISTER_SIZE]);
        return b.build().encode();
    }

    /** CONNECT from peer a to peer b, then b acknowledges the INTRODUCE. */
    private void connect(RendezvousService s, int a, int b, byte[] keyOfA) throws StunParseException {
        byte[] req = StunMessage.builder(StunMethod.CONNECT, StunClass.REQUEST, txn())
                .addString(StunAttributeType.PEER_ID, "peer" + a)
                .addString(StunAttributeType.TARGET_ID, "peer" + b)
                .build().encode(keyOfA, true);
        s.handleInput(now, address(a), req, 0, req.length);
        Transmit t;
        while ((t = s.pollTransmit()) != null) {
            if (t.destination().equals(address(b))) {
                StunMessage intro = StunMessage.decode(t.payload());
                if (intro.method() == StunMethod.INTRODUCE && intro.messageClass() == StunClass.REQUEST) {
                    byte[] ack = StunMessage.builder(StunMethod.INTRODUCE, StunClass.SUCCESS_RESPONSE, intro.transactionId())
                            .build().encode();
                    s.handleInput(now, address(b), ack, 0, ack.length);
                }
            }
        }
        now += 10_000;
    }

    private StunMessage ask(RendezvousService s, InetSocketAddress from, byte[] req) throws StunParseException {
        s.handleInput(now, from, req, 0, req.length);
        now += 10_000;
        Transmit t = s.pollTransmit();
        StunMessage m = null;
        while (t != null) {
            if (t.destination().equals(from)) {
                m = StunMessage.decode(t.payload());
            }
            t = s.pollTransmit();
        }
        if (m == null) {
            throw new IllegalStateException("no answer to " + StunMethod.name(req[1]));
        }
        return m;
    }

    private TransactionId txn() {
        random.nextBytes(scratchId);
        return TransactionId.of(scratchId);
    }

    /** Peer i's public endpoint in 198.18.0.0/15 (RFC 2544 benchmarking range; nothing is sent). */
    private static InetSocketAddress address(int i) {
        try {
            // One address per peer, as on the Internet: the server limits unauthenticated answers per address.
            byte[] ip = {(byte) 10, (byte) (i >>> 16), (byte) (i >>> 8), (byte) i};
            return new InetSocketAddress(InetAddress.getByAddress(ip), 1234);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
