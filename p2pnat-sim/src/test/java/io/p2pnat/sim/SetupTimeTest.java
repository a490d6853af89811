package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Setup time of each technique against the physical limit: half a round trip dialer-server,
 * half a round trip server-listener, one round trip between the peers (DESIGN.md §3's bar).
 * Dialer-server 20 ms, server-listener 30 ms, peers 25 ms one way: in a star around the
 * internet that is 7.5 ms from A to the core, 12.5 ms from S, 17.5 ms from B.
 */
class SetupTimeTest {
    private static final PairRun.Latencies L = new PairRun.Latencies(2.5, 5, 12.5, 15, 2.5);

    private record Case(String technique, NatConfig dialer, NatConfig listener) {
    }

    @Test
    void printsSetupTimeAgainstThePhysicalLimit() {
        Case[] cases = {
            new Case("direct", SimNatType.EIM_APDF.config, null),
            new Case("connection-reversal", null, SimNatType.EIM_APDF.config),
            new Case("udp-hole-punch", SimNatType.EIM_APDF.config, SimNatType.EIM_APDF.config),
            new Case("udp-port-prediction", SimNatType.APDM_SEQ.config, SimNatType.APDM_SEQ.config),
            new Case("birthday-punch", SimNatType.EIM_APDF.config, SimNatType.APDM_RANDOM.config),
            new Case("relay", SimNatType.APDM_RANDOM.config, SimNatType.APDM_RANDOM.config),
            new Case("relay", SimNatType.APDM_SEQ.config, SimNatType.APDM_RANDOM.config),
        };
        double limit = L.limitMs();
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "dialer-server %.1f ms, server-listener %.1f ms, peers %.1f ms one way; limit %.1f ms%n",
                L.dialerServer(), L.serverListener(), L.peers(), limit));
        out.append(String.format(Locale.ROOT, "%-22s %-12s %-12s %10s %7s%n", "technique", "dialer NAT", "listener NAT", "setup ms", "ratio"));
        for (Case c : cases) {
            PairRun.Result r = PairRun.run(1, c.dialer, c.listener, L);
            assertTrue(r.connected(), c + ": " + r.describe());
            assertTrue(c.technique.equals(r.technique()), c + ": " + r.describe());
            assertTrue(r.setupMs() > 0 && r.setupMs() < 5_000, r.describe());
            out.append(String.format(Locale.ROOT, "%-22s %-12s %-12s %10.1f %7.2f%n", r.technique(), label(c.dialer),
                    label(c.listener), r.setupMs(), r.setupMs() / limit));
        }
        System.out.print(out);
    }

    private static String label(NatConfig c) {
        if (c == null) {
            return "public";
        }
        for (SimNatType t : SimNatType.values()) {
            if (t.config.equals(c)) {
                return t.label;
            }
        }
        return c.label();
    }
}
