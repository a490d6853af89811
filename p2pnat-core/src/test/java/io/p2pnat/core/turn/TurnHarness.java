package io.p2pnat.core.turn;

import io.p2pnat.core.ManualClock;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.IntPredicate;

/** A fake driver for {@link TurnService}: opens relay ports on request, records what goes out. */
final class TurnHarness {
    static final String REALM = "p2pnat";
    static final InetAddress RELAY_IP = ip("192.0.2.128");
    static final InetSocketAddress SERVER = new InetSocketAddress(RELAY_IP, 3478);
    static final InetSocketAddress CLIENT_A = new InetSocketAddress(ip("192.0.2.1"), 40001);
    static final InetSocketAddress CLIENT_B = new InetSocketAddress(ip("192.0.2.254"), 40002);
    static final InetSocketAddress PEER = new InetSocketAddress(ip("198.51.100.7"), 5000);
    static final InetSocketAddress PEER2 = new InetSocketAddress(ip("198.51.100.8"), 6000);

    final ManualClock clock = new ManualClock(5_000_000_000_000L);
    long unix = 1_700_000_000L;
    final Random random = new Random(42);
    final TurnService service;
    final List<TurnOutput.ToClient> toClients = new ArrayList<>();
    final List<TurnOutput.ToPeer> toPeers = new ArrayList<>();
    final Set<Integer> openRelays = new HashSet<>();
    final List<Integer> closed = new ArrayList<>();
    final Map<InetSocketAddress, TurnClient> clients = new HashMap<>();
    /** Clients over TCP (RFC 8656 §3.1), by their connection's address: other 5-tuples than UDP clients'. */
    final Map<InetSocketAddress, TurnClient> streamClients = new HashMap<>();
    IntPredicate bindFails = p -> false;

    TurnHarness() {
        this(config());
    }

    TurnHarness(TurnConfig config) {
        this(config, TurnUsers.parse(List.of("alice:secret", "bob:hunter2", "carol:pw"), REALM));
    }

    TurnHarness(TurnConfig config, TurnCredentials credentials) {
        service = new TurnService(config, credentials, random, () -> unix);
        service.setServerPorts(3478, 3479);
    }

    static TurnConfig config() {
        return TurnConfig.defaults(REALM, RELAY_IP).withPorts(50000, 50009);
    }

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    long now() {
        return clock.nanoTime();
    }

    void advance(Duration d) {
        clock.advance(d);
        unix += d.toSeconds();
        service.handleTimeout(now());
        pump();
    }

    /** Processes outputs: opens/closes relays, records datagrams, routes them to registered clients. */
    void pump() {
        TurnOutput o;
        while ((o = service.poll()) != null) {
            if (o instanceof TurnOutput.OpenRelay r) {
                boolean ok = !bindFails.test(r.relayPort());
                if (ok) {
                    openRelays.add(r.relayPort());
                }
                service.relayOpened(now(), r.relayPort(), ok);
            } else if (o instanceof TurnOutput.CloseRelay c) {
                openRelays.remove(c.relayPort());
                closed.add(c.relayPort());
            } else if (o instanceof TurnOutput.ToClient t) {
                toClients.add(t);
                TurnClient c = (t.stream() ? streamClients : clients).get(t.client());
                if (c != null) {
                    c.handleInput(now(), SERVER, t.payload(), 0, t.payload().length);
                }
            } else {
                toPeers.add((TurnOutput.ToPeer) o);
            }
        }
    }

    /** Sends raw bytes from a client; returns the responses it got (decoded). */
    List<StunMessage> send(InetSocketAddress from, byte[] bytes) {
        int before = toClients.size();
        service.handleClientInput(now(), from, bytes, 0, bytes.length);
        pump();
        List<StunMessage> got = new ArrayList<>();
        for (TurnOutput.ToClient t : toClients.subList(before, toClients.size())) {
            if (t.client().equals(from) && StunMessage.looksLikeStun(t.payload(), 0, t.payload().length)) {
                got.add(decode(t.payload()));
            }
        }
        return got;
    }

    /** Sends and expects exactly one response. */
    StunMessage ask(InetSocketAddress from, byte[] bytes) {
        List<StunMessage> got = send(from, bytes);
        if (got.size() != 1) {
            throw new AssertionError("expected one response, got " + got);
        }
        return got.get(0);
    }

    /** A datagram from a peer to a relay port; returns what went to clients. */
    List<TurnOutput.ToClient> fromPeer(int relayPort, InetSocketAddress peer, byte[] data) {
        int before = toClients.size();
        service.handleRelayInput(now(), relayPort, peer, data, 0, data.length);
        pump();
        return List.copyOf(toClients.subList(before, toClients.size()));
    }

    static StunMessage decode(byte[] b) {
        try {
            return StunMessage.decode(b);
        } catch (StunParseException e) {
            throw new AssertionError(e);
        }
    }

    // ---- raw requests

    TransactionId txn() {
        return TransactionId.random(random);
    }

    static StunMessage.Builder allocateBuilder(TransactionId id) {
        return StunMessage.builder(io.p2pnat.wire.StunMethod.ALLOCATE, StunClass.REQUEST, id)
                .addAttribute(StunAttributeType.REQUESTED_TRANSPORT, new byte[] {17, 0, 0, 0});
    }

    /** Adds credentials obtained by a challenge from {@code from} and encodes with MESSAGE-INTEGRITY. */
    byte[] signed(InetSocketAddress from, StunMessage.Builder b, String user, String password) {
        String nonce = nonceFor(from);
        return b.addString(StunAttributeType.USERNAME, user).addString(StunAttributeType.REALM, REALM)
                .addString(StunAttributeType.NONCE, nonce).build()
                .encode(StunMessage.longTermKey(user, REALM, password), true);
    }

    /** A nonce for {@code from}, from a challenge to an unauthenticated Refresh (which leaves no state). */
    String nonceFor(InetSocketAddress from) {
        byte[] probe = StunMessage.builder(io.p2pnat.wire.StunMethod.REFRESH, StunClass.REQUEST, txn())
                .addString(StunAttributeType.SOFTWARE, "padding so that the challenge fits in").build().encode();
        StunMessage challenge = ask(from, probe);
        return challenge.string(StunAttributeType.NONCE).orElseThrow();
    }

    /** Allocates for {@code from} as alice; returns the relay port. */
    int allocate(InetSocketAddress from) {
        return allocate(from, "alice", "secret");
    }

    int allocate(InetSocketAddress from, String user, String password) {
        StunMessage r = ask(from, signed(from, allocateBuilder(txn()), user, password));
        if (r.messageClass() != StunClass.SUCCESS_RESPONSE) {
            throw new AssertionError("allocate failed: " + r.errorCode() + " " + r.errorReason());
        }
        return r.xorAddress(StunAttributeType.XOR_RELAYED_ADDRESS).orElseThrow().getPort();
    }

    StunMessage request(InetSocketAddress from, int method, String user, String password,
                        java.util.function.Consumer<StunMessage.Builder> attrs) {
        StunMessage.Builder b = StunMessage.builder(method, StunClass.REQUEST, txn());
        attrs.accept(b);
        return ask(from, signed(from, b, user, password));
    }

    StunMessage request(InetSocketAddress from, int method, java.util.function.Consumer<StunMessage.Builder> attrs) {
        return request(from, method, "alice", "secret", attrs);
    }

    // ---- TurnClient plumbing

    TurnClient client(InetSocketAddress addr, String user, String password) {
        TurnClient c = new TurnClient(SERVER, user, password, new Random(addr.getPort()));
        clients.put(addr, c);
        return c;
    }

    /** A client over a TCP connection from {@code addr}. */
    TurnClient streamClient(InetSocketAddress addr, String user, String password) {
        TurnClient c = new TurnClient(SERVER, user, password, new Random(addr.getPort() + 1)).overTcp();
        streamClients.put(addr, c);
        return c;
    }

    /** Moves datagrams (and TCP clients' messages) between registered clients and the service until nothing moves. */
    void run() {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (boolean stream : new boolean[] {false, true}) {
                for (Map.Entry<InetSocketAddress, TurnClient> e : (stream ? streamClients : clients).entrySet()) {
                    Transmit t;
                    while ((t = e.getValue().pollTransmit()) != null) {
                        moved = true;
                        if (stream) {
                            service.handleStreamInput(now(), e.getKey(), t.payload(), 0, t.payload().length);
                        } else {
                            service.handleClientInput(now(), e.getKey(), t.payload(), 0, t.payload().length);
                        }
                        pump();
                    }
                }
            }
        }
    }

    /** Advances time, running the clients' and the service's timers. */
    void tick(Duration d) {
        clock.advance(d);
        unix += d.toSeconds();
        service.handleTimeout(now());
        pump();
        for (TurnClient c : clients.values()) {
            c.handleTimeout(now());
        }
        for (TurnClient c : streamClients.values()) {
            c.handleTimeout(now());
        }
        run();
    }

    static List<TurnClientEvent> events(TurnClient c) {
        List<TurnClientEvent> out = new ArrayList<>();
        TurnClientEvent e;
        while ((e = c.pollEvent()) != null) {
            out.add(e);
        }
        return out;
    }
}
