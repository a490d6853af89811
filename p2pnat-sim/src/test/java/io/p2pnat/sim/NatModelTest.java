package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.sim.NatConfig.Allocation;
import io.p2pnat.sim.NatConfig.Behaviour;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The RFC 4787 behaviours of {@link NatModel}, one by one. */
class NatModelTest {
    private static final InetSocketAddress IN = SimNet.ep("10.0.0.1:1234");
    private static final InetSocketAddress IN2 = SimNet.ep("10.0.0.2:1234");
    private static final InetSocketAddress X1 = SimNet.ep("198.51.100.1:3478");
    private static final InetSocketAddress X1B = SimNet.ep("198.51.100.1:3479");
    private static final InetSocketAddress X2 = SimNet.ep("198.51.100.2:3478");
    private static final long S = 1_000_000_000L;

    private static NatModel nat(NatConfig c) {
        return new NatModel(SimNet.ip("192.0.2.1"), c, new Random(42));
    }

    private static NatConfig cfg(Behaviour m, Behaviour f, Allocation a) {
        return NatConfig.of(m, f, a);
    }

    @Test
    void endpointIndependentMappingReusesOnePortEverywhere() {
        NatModel n = nat(cfg(Behaviour.ENDPOINT_INDEPENDENT, Behaviour.ADDRESS_AND_PORT_DEPENDENT, Allocation.PRESERVING));
        InetSocketAddress a = n.outbound(0, IN, X1);
        assertEquals(SimNet.ep("192.0.2.1:1234"), a, "port preserved");
        assertEquals(a, n.outbound(0, IN, X1B));
        assertEquals(a, n.outbound(0, IN, X2));
        InetSocketAddress other = n.outbound(0, IN2, X1);
        assertNotEquals(a, other, "a second inside host cannot have the same preserved port");
    }

    @Test
    void addressDependentMappingNewPortPerDestinationAddressOnly() {
        NatModel n = nat(cfg(Behaviour.ADDRESS_DEPENDENT, Behaviour.ADDRESS_DEPENDENT, Allocation.SEQUENTIAL));
        InetSocketAddress a = n.outbound(0, IN, X1);
        assertEquals(a, n.outbound(0, IN, X1B), "same address, other port: same mapping");
        InetSocketAddress b = n.outbound(0, IN, X2);
        assertEquals(a.getPort() + 1, b.getPort(), "sequential, delta 1");
    }

    @Test
    void addressAndPortDependentMappingNewPortPerDestinationEndpoint() {
        NatModel n = nat(cfg(Behaviour.ADDRESS_AND_PORT_DEPENDENT, Behaviour.ADDRESS_AND_PORT_DEPENDENT, Allocation.SEQUENTIAL)
                .withDelta(-2));
        int p1 = n.outbound(0, IN, X1).getPort();
        int p2 = n.outbound(0, IN, X1B).getPort();
        int p3 = n.outbound(0, IN, X2).getPort();
        assertEquals(p1 - 2, p2);
        assertEquals(p1 - 4, p3);
        assertEquals(p1, n.outbound(0, IN, X1).getPort(), "existing mapping reused");
    }

    @Test
    void filteringAdmitsPerRfc4787Section5() {
        for (Behaviour f : Behaviour.values()) {
            NatModel n = nat(cfg(Behaviour.ENDPOINT_INDEPENDENT, f, Allocation.PRESERVING));
            int port = n.outbound(0, IN, X1).getPort();
            assertEquals(IN, n.inbound(0, X1, port), f + ": the endpoint we sent to");
            assertEquals(f != Behaviour.ADDRESS_AND_PORT_DEPENDENT, n.inbound(0, X1B, port) != null, f + ": same address, other port");
            assertEquals(f == Behaviour.ENDPOINT_INDEPENDENT, n.inbound(0, X2, port) != null, f + ": another address");
            assertNull(n.inbound(0, X1, port + 1));
            assertEquals(NatModel.NO_MAPPING, n.refusal(0, X1, port + 1));
        }
    }

    @Test
    void randomAllocationIsSeededAndSpread() {
        NatConfig c = cfg(Behaviour.ADDRESS_AND_PORT_DEPENDENT, Behaviour.ADDRESS_AND_PORT_DEPENDENT, Allocation.RANDOM);
        NatModel n1 = nat(c);
        NatModel n2 = nat(c);
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            InetSocketAddress d = new InetSocketAddress(X1.getAddress(), 4000 + i);
            int p = n1.outbound(0, IN, d).getPort();
            assertEquals(p, n2.outbound(0, IN, d).getPort(), "same seed, same ports");
            ports.add(p);
        }
        assertTrue(ports.size() == 50);
    }

    @Test
    void mappingsExpireUnlessRefreshedOutbound() {
        NatModel n = nat(cfg(Behaviour.ENDPOINT_INDEPENDENT, Behaviour.ENDPOINT_INDEPENDENT, Allocation.RANDOM)
                .withMappingTimeout(Duration.ofSeconds(30)));
        int port = n.outbound(0, IN, X1).getPort();
        assertEquals(IN, n.inbound(29 * S, X2, port));
        assertEquals(port, n.outbound(29 * S, IN, X1).getPort(), "refreshed");
        assertNotNull(n.inbound(58 * S, X2, port));
        assertNull(n.inbound(59 * S, X2, port), "30 s after the last outbound packet");
        assertNotEquals(port, n.outbound(60 * S, IN, X1).getPort(), "a new random port after expiry");
    }

    /** As Linux conntrack: 30 s for a mapping never answered, the full 2 minutes once answered. */
    @Test
    void unansweredMappingsExpireSoonerAndAreSweptAway() {
        NatModel n = nat(cfg(Behaviour.ADDRESS_AND_PORT_DEPENDENT, Behaviour.ADDRESS_AND_PORT_DEPENDENT, Allocation.RANDOM));
        int answered = n.outbound(0, IN, X1).getPort();
        int silent = n.outbound(0, IN, X2).getPort();
        assertEquals(IN, n.inbound(S, X1, answered), "an answer comes back");
        assertNotNull(n.inbound(29 * S, X2, silent), "an unanswered mapping lives 30 s");
        // That first packet back made it answered: a second unanswered one shows the 30 s.
        int spray = n.outbound(29 * S, IN, X1B).getPort();
        assertNull(n.inbound(60 * S, X1B, spray), "unanswered for 30 s: gone");
        assertEquals(IN, n.inbound(100 * S, X1, answered), "answered: lives 2 minutes");
        assertNull(n.inbound(121 * S, X1, answered));
        // A NAT that keeps opening mappings (a birthday spray) does not hold the dead ones.
        // The driver (SimNet) sweeps when the model says some mapping may have expired.
        int swept = 0;
        for (int i = 0; i < 20_000; i++) {
            long now = 200 * S + i * (S / 100);
            if (now >= n.sweepDue()) {
                n.sweep(now);
                swept++;
            }
            n.outbound(now, IN, SimNet.ep("198.51.100." + (3 + i / 10_000) + ":" + (2000 + i % 10_000)));
        }
        // 100 new mappings a second, 30 s each: 3,000 alive (plus at most 7.5 s worth between
        // two sweeps), not the 20,000 made; and a sweep every 7.5 s, not one per new mapping.
        assertTrue(n.size() <= 3_800, "about the 3,000 live mappings held, got " + n.size());
        assertTrue(swept >= 10 && swept <= 40, "swept " + swept + " times in 200 s");
    }

    @Test
    void portStealingMovesTheSequentialCounter() {
        NatConfig c = cfg(Behaviour.ADDRESS_AND_PORT_DEPENDENT, Behaviour.ADDRESS_AND_PORT_DEPENDENT, Allocation.SEQUENTIAL);
        NatModel quiet = nat(c);
        NatModel busy = nat(c.withPortStealing(100));
        int q0 = quiet.outbound(0, IN, X1).getPort();
        int b0 = busy.outbound(0, IN, X1).getPort();
        assertEquals(q0, b0);
        assertEquals(q0 + 1, quiet.outbound(S, IN, X2).getPort());
        int b1 = busy.outbound(S, IN, X2).getPort();
        assertTrue(b1 - b0 > 50, "about 100 ports taken by others in one second, got step " + (b1 - b0));
        assertTrue(busy.stolen() > 50);
    }
}
