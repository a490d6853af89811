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
}
