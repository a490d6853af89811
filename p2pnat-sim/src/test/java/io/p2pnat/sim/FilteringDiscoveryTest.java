package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.discovery.PortAllocation;
import io.p2pnat.core.peer.PeerEvent;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A peer behind an endpoint-independent NAT measures the NAT's filtering (RFC 5780 §4.4 through
 * the server's alternate port and second address), and the random-port side of a would-be
 * birthday punch acts on the peer's report: no spray toward a NAT that admits any port of an
 * address it sent to, and no head start for plain punching toward one that filters by port.
 */
class FilteringDiscoveryTest {
    private static final Pattern SENDS = Pattern.compile("^(\\d+\\.\\d+) (alice|bob) sends (\\S+):(\\d+) -> ");

    @Test
    void peersMeasureTheirNatsFiltering() {
        for (SimNatType t : SimNatType.values()) {
            PairRun.Result r = PairRun.run(3, t.config, t.config, PairRun.Latencies.uniform(15));
            FilteringBehaviour expected = switch (t) {
                case EIM_EIF -> FilteringBehaviour.ENDPOINT_INDEPENDENT;
                case EIM_ADF -> FilteringBehaviour.ADDRESS_DEPENDENT;
                case EIM_APDF -> FilteringBehaviour.ADDRESS_AND_PORT_DEPENDENT;
                default -> FilteringBehaviour.UNKNOWN; // measured only where it matters: behind EIM
            };
            assertEquals(expected, r.dialer().agent.natFiltering(), t.toString());
            assertEquals(expected, r.listener().agent.natFiltering(), t.toString());
            // The driver is told, in its last NatMeasured event, what the agent measured.
            PeerEvent.NatMeasured told = lastNatMeasured(r.dialer());
            assertTrue(told.behindNat(), t.toString());
            assertEquals(expected, told.filtering(), t.toString());
            assertEquals(t.config.mapping() == NatConfig.Behaviour.ENDPOINT_INDEPENDENT
                    ? MappingBehaviour.ENDPOINT_INDEPENDENT : MappingBehaviour.DEPENDENT, told.profile().mapping(), t.toString());
            if (t.config.mapping() != NatConfig.Behaviour.ENDPOINT_INDEPENDENT) {
                assertEquals(t.config.allocation() == NatConfig.Allocation.RANDOM
                        ? PortAllocation.RANDOM : PortAllocation.SEQUENTIAL, told.profile().allocation(), t.toString());
            }
        }
        PairRun.Result open = PairRun.run(3, null, null, PairRun.Latencies.uniform(15));
        assertEquals(FilteringBehaviour.UNKNOWN, open.dialer().agent.natFiltering(), "no NAT, nothing to measure");
        assertFalse(lastNatMeasured(open.dialer()).behindNat(), "no NAT");
    }

    private static PeerEvent.NatMeasured lastNatMeasured(PeerHost h) {
        PeerEvent.NatMeasured last = null;
        for (var t : h.events()) {
            if (t.event() instanceof PeerEvent.NatMeasured m) {
                last = m;
            }
        }
        assertNotNull(last, h.name + " reported no NatMeasured event");
        return last;
    }

    @Test
    void noBirthdayTowardANatThatAdmitsAnyPort() {
        for (SimNatType easy : new SimNatType[] {SimNatType.EIM_EIF, SimNatType.EIM_ADF}) {
            for (long seed = 1; seed <= 5; seed++) {
                for (boolean hardDials : new boolean[] {true, false}) {
                    // A 240 ms peer round trip: before filtering was known, the spray left at 100 ms.
                    BirthdaySprayTest.HardRun h = BirthdaySprayTest.hardAgainst(seed, easy.config, hardDials);
                    PairRun.Result r = h.result();
                    assertTrue(r.connected(), easy.toString() + " seed " + seed + ": " + r.describe());
                    assertEquals("udp-hole-punch", r.technique(), easy.toString() + " seed " + seed);
                    assertEquals(0, h.fromExtraSockets(), easy.toString() + " seed " + seed + ": packets from extra sockets");
                }
            }
        }
    }

    @Test
    void birthdayStartsAtOnceTowardANatThatFiltersByPort() {
        int hits = 0;
        for (long seed = 1; seed <= 10; seed++) {
            SimNet net = new SimNet(seed).traced();
            PairRun.Result r = PairRun.run(net, SimNatType.APDM_RANDOM.config, SimNatType.EIM_APDF.config,
                    PairRun.Latencies.uniform(15));
            assertTrue(r.connected(), "seed " + seed + ": " + r.describe());
            // The spray (alice's extra sockets) leaves within a few ms of alice's first check.
            double firstCheck = -1;
            double firstSpray = -1;
            for (String line : net.trace()) {
                Matcher m = SENDS.matcher(line);
                if (!m.find() || !m.group(2).equals("alice")) {
                    continue;
                }
                double t = Double.parseDouble(m.group(1));
                boolean toPeer = line.contains("-> 192.0.2.254:");
                if (toPeer && m.group(4).equals("1234") && firstCheck < 0) {
                    firstCheck = t;
                }
                if (toPeer && !m.group(4).equals("1234") && firstSpray < 0) {
                    firstSpray = t;
                }
            }
            assertTrue(firstCheck >= 0 && firstSpray >= 0, "seed " + seed + ": check at " + firstCheck + ", spray at " + firstSpray);
            assertTrue(firstSpray - firstCheck < 10, "seed " + seed + ": spray " + (firstSpray - firstCheck) + " ms after the first check");
            if (r.technique().equals("birthday-punch")) {
                hits++;
            }
        }
        assertTrue(hits >= 8, "birthday punching connects: " + hits + " of 10");
    }
}
