package io.p2pnat.server;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.rendezvous.KeyProofs;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.rendezvous.RendezvousService;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Random;

/**
 * An in-process load on the rendezvous service that a {@link RendezvousServer} runs, for
 * {@code p2pnat bench relay}: registers peer pairs and introduces them through the sans-I/O
 * service's datagram interface (REGISTER with the cookie round trip, CONNECT, the target's
 * INTRODUCE acknowledgement), with no sockets. Each introduction creates a native relay session
 * (RFC 5128 §3.1 relaying over the peers' server sessions, no relay port). The caller measures
 * time and heap between the steps:
 *
 * <pre>{@code
 * RelayBench bench = RelayBench.create(100_000);
 * bench.registerAll();
 * bench.introduceAll();
 * assert bench.relaySessionCount() == bench.pairs();
 * }</pre>
 *
 * <p>Deterministic (fixed seed and virtual clock); one thread.
 */
public final class RelayBench {
    /** The most pairs {@link #create} takes. */
    public static final int MAX_PAIRS = 2_000_000;

    private final int pairs;
    private final RendezvousConfig config;
    private final RendezvousService service;
    private final Random random = new Random(1);
    private final byte[] scratchId = new byte[TransactionId.LENGTH];
    private long now = 1_000_000_000_000L;
    /** Each peer's session key, once {@link #registerAll} ran. */
    private byte[][] keys;
    private boolean introduced;

    private RelayBench(int pairs) {
        this.pairs = pairs;
        this.config = RendezvousConfig.defaults().withMaxRegistrations(Math.max(2 * pairs, 1))
                .withRegistrationLifetime(Duration.ofSeconds(3600));
        this.service = new RendezvousService(config, random);
    }

    /**
     * A rendezvous service with room for {@code pairs} pairs of peers registered for an hour, and
     * nothing registered yet.
     *
     * @param pairs peer pairs to register and introduce, 1 to {@link #MAX_PAIRS}
     * @return the bench, before {@link #registerAll}
     * @throws IllegalArgumentException if {@code pairs} is out of range
     */
    public static RelayBench create(int pairs) {
        if (pairs < 1 || pairs > MAX_PAIRS) {
            throw new IllegalArgumentException("pairs " + pairs + ": must be 1-" + MAX_PAIRS);
        }
        return new RelayBench(pairs);
    }

    /**
     * The pairs this bench was created for.
     *
     * @return the number of pairs
     */
    public int pairs() {
        return pairs;
    }

    /**
     * The peers: two per pair.
     *
     * @return twice {@link #pairs()}
     */
    public int peers() {
        return 2 * pairs;
    }

    /**
     * Registers every peer: REGISTER, which the service answers with its cookie challenge, then
     * REGISTER with the cookie and the proof of the peer's identity key.
     *
     * @throws IllegalStateException if already run, or if the service does not register a peer
     */
    public void registerAll() {
        if (keys != null) {
            throw new IllegalStateException("already registered");
        }
        keys = new byte[peers()][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = register(i);
        }
    }

    /**
     * Introduces each pair once: a CONNECT from one peer to the other, and the other's
     * acknowledgement of the INTRODUCE. Each introduction leaves one native relay session.
     *
     * @throws IllegalStateException unless {@link #registerAll} ran, and this did not
     */
    public void introduceAll() {
        if (keys == null || introduced) {
            throw new IllegalStateException(keys == null ? "not registered yet" : "already introduced");
        }
        introduced = true;
        for (int i = 0; i < pairs; i++) {
            connect(2 * i, 2 * i + 1, keys[2 * i]);
        }
    }

    /**
     * The native relay sessions the service holds.
     *
     * @return the count, {@link #pairs()} after {@link #introduceAll}
     */
    public int relaySessionCount() {
        return service.relaySessionCount();
    }

    /**
     * The registrations the service holds.
     *
     * @return the count, {@link #peers()} after {@link #registerAll}
     */
    public int registrationCount() {
        return service.registrationCount();
    }

    /**
     * The service's configured limit of native relay sessions.
     *
     * @return the limit
     */
    public int maxRelaySessions() {
        return config.maxRelaySessions();
    }

    /** REGISTER twice (the first gets the cookie challenge); returns the session key. */
    private byte[] register(int i) {
        InetSocketAddress from = address(i);
        String id = "peer" + i;
        StunMessage first = ask(from, registerRequest(id, null, null));
        byte[] cookie = first.bytes(StunAttributeType.COOKIE).orElseThrow(() -> new IllegalStateException("no cookie: " + first));
        byte[] serverKey = first.bytes(StunAttributeType.SERVER_KEY).orElseThrow();
        StunMessage ok = ask(from, registerRequest(id, cookie, serverKey));
        byte[] sealed = ok.bytes(StunAttributeType.SESSION_KEY).orElseThrow(() -> new IllegalStateException("not registered: " + ok));
        return KeyProofs.openSessionKey(identity(id), serverKey, sealed, ok.transactionId().toBytes());
    }

    /** Bench peers' identities (deterministic, like the simulator's; not for real use). */
    private static Identity identity(String id) {
        return Identity.insecureForTests(id);
    }

    private byte[] registerRequest(String id, byte[] cookie, byte[] serverKey) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, txn())
                .addString(StunAttributeType.PEER_ID, id)
                .addXorAddress(StunAttributeType.PRIVATE_ENDPOINT, new InetSocketAddress(address(0).getAddress(), 1234));
        if (cookie != null) {
            b.addAttribute(StunAttributeType.COOKIE, cookie);
            b.addAttribute(StunAttributeType.STATIC_KEY, identity(id).publicKey());
            b.addAttribute(StunAttributeType.KEY_PROOF, KeyProofs.proof(identity(id), serverKey, cookie, id));
        }
        b.addAttribute(Signaling.PADDING, new byte[Signaling.MIN_REGISTER_SIZE]);
        return b.build().encode();
    }

    /** CONNECT from peer a to peer b, then b acknowledges the INTRODUCE. */
    private void connect(int a, int b, byte[] keyOfA) {
        byte[] req = StunMessage.builder(StunMethod.CONNECT, StunClass.REQUEST, txn())
                .addString(StunAttributeType.PEER_ID, "peer" + a)
                .addString(StunAttributeType.TARGET_ID, "peer" + b)
                .build().encode(keyOfA, true);
        service.handleInput(now, address(a), req, 0, req.length);
        Transmit t;
        while ((t = service.pollTransmit()) != null) {
            if (t.destination().equals(address(b))) {
                StunMessage intro = decode(t);
                if (intro.method() == StunMethod.INTRODUCE && intro.messageClass() == StunClass.REQUEST) {
                    byte[] ack = StunMessage.builder(StunMethod.INTRODUCE, StunClass.SUCCESS_RESPONSE, intro.transactionId())
                            .build().encode();
                    service.handleInput(now, address(b), ack, 0, ack.length);
                }
            }
        }
        now += 10_000;
    }

    private StunMessage ask(InetSocketAddress from, byte[] req) {
        service.handleInput(now, from, req, 0, req.length);
        now += 10_000;
        Transmit t = service.pollTransmit();
        StunMessage m = null;
        while (t != null) {
            if (t.destination().equals(from)) {
                m = decode(t);
            }
            t = service.pollTransmit();
        }
        if (m == null) {
            throw new IllegalStateException("no answer to " + StunMethod.name(req[1]));
        }
        return m;
    }

    private static StunMessage decode(Transmit t) {
        try {
            return StunMessage.decode(t.payload());
        } catch (StunParseException e) {
            throw new IllegalStateException("the service sent a malformed message", e);
        }
    }

    private TransactionId txn() {
        random.nextBytes(scratchId);
        return TransactionId.of(scratchId);
    }

    /** Peer i's public endpoint, one address per peer in 10.0.0.0/8 (nothing is sent). */
    private static InetSocketAddress address(int i) {
        try {
            // One address per peer, as on the Internet: the server limits unauthenticated answers per address.
            byte[] ip = {(byte) 10, (byte) (i >>> 16), (byte) (i >>> 8), (byte) i};
            return new InetSocketAddress(InetAddress.getByAddress(ip), 1234);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
