package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * RFC 5128 §6.2 asks for little traffic toward endpoints not yet verified. The random-port side
 * of a birthday punch sprays from 256 sockets, again after 1 s and 2 s if nothing came in; once one of the other side's probes
 * has come in through one of those mappings, the path is found (its answer gets through, and
 * the triggered check confirms it), so no further round may leave the sockets nothing came in on.
 */
class BirthdaySprayTest {
    private static final Pattern LINE = Pattern.compile("^(\\d+\\.\\d+) alice (sends|receives) (\\S+) -> (\\S+) ");

    @Test
    void noSprayRoundAfterAProbeArrived() {
        int hits = 0;
        for (long seed = 1; seed <= 40; seed++) {
            SimNet net = new SimNet(seed).traced();
            PairRun.Result r = PairRun.run(net, SimNatType.APDM_RANDOM.config, SimNatType.EIM_APDF.config,
                    PairRun.Latencies.uniform(15)); // a 120 ms peer RTT: room for a round between hit and choice
            assertTrue(r.connected(), "seed " + seed + ": " + r.error());
            double hitAt = -1;
            java.util.Set<String> answering = new java.util.HashSet<>();
            int sprayedAfter = 0;
            for (String line : net.trace()) {
                Matcher m = LINE.matcher(line);
                if (!m.find()) {
                    continue;
                }
                double t = Double.parseDouble(m.group(1));
                boolean sends = m.group(2).equals("sends");
                String local = sends ? m.group(3) : m.group(4);
                boolean extraSocket = !local.endsWith(":1234");
                if (!sends && extraSocket) {
                    hitAt = hitAt < 0 ? t : hitAt; // a probe came in on one of the 256 sockets
                    answering.add(local); // which answers (and checks back) from there
                } else if (sends && extraSocket && hitAt >= 0 && t > hitAt && !answering.contains(local)) {
                    sprayedAfter++; // a socket nothing came in on: spray
                }
            }
            if (hitAt >= 0) {
                hits++;
                assertEquals(0, sprayedAfter, "seed " + seed + ": packets from other spray sockets after the hit at " + hitAt + " ms");
            }
        }
        assertTrue(hits >= 20, "most punches are won by a probe reaching the spraying side: " + hits + " of 40");
    }

    private static final Pattern BOB = Pattern.compile("^\\d+\\.\\d+ bob (sends|receives) (\\S+) -> (\\S+) ");

    /**
     * Against an easy side whose NAT lets the whole spray in (endpoint-independent filtering)
     * but could not tell (a server without an alternate port, so no filtering test), the spray
     * is one transaction from 256 sources: the easy side answers a few of them (up to its
     * candidate limit), not all 256, and the punch still connects directly.
     */
    @Test
    void aSprayThatGetsInIsAnsweredFromAFewSourcesOnly() {
        for (long seed = 1; seed <= 10; seed++) {
            SimNet net = new SimNet(seed).traced();
            PairRun.Result r = PairRun.run(net, SimNatType.APDM_RANDOM.config, SimNatType.EIM_EIF.config,
                    PairRun.Latencies.uniform(30), java.util.function.UnaryOperator.identity(), false);
            // (a 240 ms peer RTT: the spray leaves before plain punching is answered)
            assertTrue(r.connected() && !r.technique().equals("relay"), "seed " + seed + ": " + r.error());
            java.util.Set<String> sprayIn = new java.util.HashSet<>();
            java.util.Set<String> answeredTo = new java.util.HashSet<>();
            for (String line : net.trace()) {
                Matcher m = BOB.matcher(line);
                if (m.find()) {
                    (m.group(1).equals("receives") ? sprayIn : answeredTo).add(m.group(1).equals("receives") ? m.group(2) : m.group(3));
                }
            }
            assertTrue(sprayIn.size() > 200, "seed " + seed + ": the spray got in from " + sprayIn.size() + " sources");
            answeredTo.retainAll(sprayIn); // bob's own probes go to random ports: leave those out
            assertTrue(answeredTo.size() < 40, "seed " + seed + ": bob answered " + answeredTo.size() + " spray sources");
        }
    }

    /**
     * A peer on the internet has no NAT to filter our plain checks: the random-port side does
     * not spray toward it (it would only open 256 mappings of its own NAT), even when the peer
     * is far enough that plain punching takes longer than the spray's head start.
     */
    @Test
    void noSprayTowardAPeerWithoutNat() {
        for (long seed = 1; seed <= 5; seed++) {
            for (boolean hardDials : new boolean[] {true, false}) {
                HardRun h = hardAgainst(seed, null, hardDials);
                assertTrue(h.result().connected() && !h.result().technique().equals("relay"), "seed " + seed + ": " + h.result().describe());
                assertEquals(0, h.fromExtraSockets(), "seed " + seed + ": packets from extra sockets of " + h.hardName());
            }
        }
    }

    /** A dial between a random-port peer and {@code other}, and what the random-port side sent from extra (spray) sockets. */
    record HardRun(PairRun.Result result, String hardName, long fromExtraSockets) {
    }

    /**
     * The random-port side dials (or is dialed by) a peer behind {@code other} (null: no NAT),
     * 240 ms of peer round trip apart: longer than the spray's head start, so a spray that is
     * not ruled out leaves before plain punching is answered.
     */
    static HardRun hardAgainst(long seed, NatConfig other, boolean hardDials) {
        SimNet net = new SimNet(seed).traced();
        NatConfig hard = SimNatType.APDM_RANDOM.config;
        PairRun.Result r = hardDials ? PairRun.run(net, hard, other, PairRun.Latencies.uniform(30))
                : PairRun.run(net, other, hard, PairRun.Latencies.uniform(30));
        String hardName = hardDials ? "alice" : "bob";
        long extra = net.trace().stream()
                .filter(l -> l.contains(" " + hardName + " sends ") && !l.contains(":1234 -> ")).count();
        return new HardRun(r, hardName, extra);
    }
}
