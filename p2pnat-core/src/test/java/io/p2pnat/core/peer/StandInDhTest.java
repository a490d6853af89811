package io.p2pnat.core.peer;

import static io.p2pnat.core.peer.Figures.SERVER;
import static io.p2pnat.core.testnet.TestNet.ms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.secure.DhFunction;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.core.secure.ToyDh;
import io.p2pnat.core.testnet.TestNet;
import io.p2pnat.core.testnet.TestNet.Nat;
import io.p2pnat.core.testnet.TestNet.PeerNode;
import io.p2pnat.core.testnet.TestNet.ServerNode;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Server and peers on a DH function other than X25519 (as a simulation runs them on a cheap
 * stand-in): registration key proofs, session keys and the peers' Noise handshake all follow it.
 */
class StandInDhTest {
    private static final DhFunction TOY = ToyDh.INSTANCE;

    private static PeerConfig config(String id, InetSocketAddress privateEndpoint, DhFunction dh) {
        return new PeerConfig(id, SERVER, List.of(privateEndpoint), Duration.ofSeconds(4), Duration.ofSeconds(30),
                PeerConfig.DEFAULT_PUNCH_BUDGET, Identity.insecureForTests(id, dh));
    }

    private static Figures.Net figure3(long seed, DhFunction peers) {
        TestNet net = new TestNet(seed);
        ServerNode s = net.server("S", SERVER, null, ms(10), RendezvousConfig.defaults().withDh(TOY));
        Nat natA = net.nat("natA", "192.0.2.1", null, ms(10));
        Nat natB = net.nat("natB", "192.0.2.254", null, ms(10));
        PeerNode a = net.peer(config("alice", Figures.A_PRIVATE, peers), natA, ms(10));
        PeerNode b = net.peer(config("bob", Figures.B_PRIVATE, peers), natB, ms(10));
        return new Figures.Net(net, s, natA, natB, a, b);
    }

    @Test
    void peersRegisterConnectAndExchangeDataOnTheStandIn() {
        Figures.Net f = figure3(31, TOY).registered();
        f.dial();
        ConnectionInfo info = f.connectedA();
        f.connectedB();
        assertEquals(Identity.fingerprint(Identity.insecureForTests("bob", TOY).publicKey()), info.peerKey());
        f.net().runFor(ms(200));
        long session = info.sessionId();
        assertTrue(f.a().agent.send(f.net().now(), session, "over the toy".getBytes(StandardCharsets.UTF_8)));
        assertTrue(f.net().runUntil(() -> f.b().has(PeerEvent.Data.class), Duration.ofSeconds(1)));
        assertArrayEquals("over the toy".getBytes(StandardCharsets.UTF_8),
                f.b().events(PeerEvent.Data.class).get(0).payload());
    }

    @Test
    void x25519PeersCannotProveTheirKeysToAStandInServerButNothingBreaks() {
        Figures.Net f = figure3(32, DhFunction.X25519);
        f.a().start();
        f.net().runFor(Duration.ofSeconds(3));
        assertFalse(f.a().agent.isRegistered());
        assertEquals(0, f.server().service().registrationCount());
    }
}
