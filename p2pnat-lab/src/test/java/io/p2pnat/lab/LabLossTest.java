package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LabOptions#withInternetLoss}: UDP probes across the Internet lose about the share asked
 * for in each direction, LAN traffic loses nothing, the loss composes with a delay, and the lab's
 * counters agree with what the probes saw.
 */
@Timeout(120)
class LabLossTest extends LabTestBase {
    private static final int PORT = 20001;
    private static final int N = 2000;

    @Test
    void tenPercentEachWayOnTheInternetAndNoneOnTheLan() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_2, LabOptions.defaults().withInternetLoss(10))) {
            assertEquals(10.0, lab.internetLossPercent());
            assertEquals(0.0, lab.segmentLossPercent("lanA"));
            Probe server = Probe.start(lab, "server", false, PORT);
            Probe b = Probe.start(lab, "clientB", false, PORT);
            Probe nat = Probe.start(lab, "natA", List.of("10.0.0.254:" + PORT));
            Probe a = Probe.start(lab, "clientA", false, PORT);
            for (Probe p : List.of(server, b, nat, a)) {
                p.awaitReady();
            }
            Lab.SegmentTraffic before = lab.segmentTraffic(LabOptions.INTERNET);

            b.blast(Integer.toString(PORT), lab.address("server"), PORT, N, "up");
            server.blast(Integer.toString(PORT), lab.address("clientB"), PORT, N, "down");
            a.blast(Integer.toString(PORT), "10.0.0.254", PORT, 500, "lan");
            Thread.sleep(300);
            int up = count(server, "up");
            int down = count(b, "down");
            int lan = count(nat, "lan");
            Lab.SegmentTraffic t = lab.segmentTraffic(LabOptions.INTERNET).minus(before);
            System.out.printf("lab loss 10%%: B->S %d/%d, S->B %d/%d arrived; LAN %d/500; counters %s%n",
                    up, N, down, N, lan, t);

            assertTrue(lost(up) >= 7 && lost(up) <= 13, "B -> S lost " + lost(up) + "%");
            assertTrue(lost(down) >= 7 && lost(down) <= 13, "S -> B lost " + lost(down) + "%");
            assertEquals(500, lan, "the LAN is not lossy");
            assertEquals(2L * N, t.packets(), "every probe crossed the Internet bridge once: " + t);
            assertEquals(up + down, t.packets() - t.dropped(), "what the counters let through is what arrived: " + t);
            assertTrue(t.lossPercent() >= 7 && t.lossPercent() <= 13, t.toString());

            // wire-sized packets on the lossy segment only
            assertTrue(link(lab, "natA", "wan0").contains("gso_max_segs 1 "), link(lab, "natA", "wan0"));
            assertTrue(link(lab, "server", "eth0").contains("gso_max_segs 1 "), link(lab, "server", "eth0"));
            assertFalse(link(lab, "clientA", "eth0").contains("gso_max_segs 1 "), link(lab, "clientA", "eth0"));
        }
    }

    @Test
    void lossComposesWithADelay() throws Exception {
        int delay = 10;
        try (Lab lab = Lab.create(Scenario.FIGURE_2,
                LabOptions.defaults().withInternetDelay(delay).withInternetLoss(20))) {
            assertTrue(lab.delayActive());
            Probe server = Probe.start(lab, "server", true, PORT);
            Probe b = Probe.start(lab, "clientB", false, PORT);
            server.awaitReady();
            b.awaitReady();
            b.blast(Integer.toString(PORT), lab.address("server"), PORT, 1000, "up");
            Thread.sleep(300 + delay);
            int up = count(server, "up");
            // a round trip crosses twice: 36% of pings are lost, each after the probe's 1 s wait
            List<Double> rtts = b.pingMillis(lab.address("server"), PORT, 8);
            System.out.printf("lab loss 20%% + delay %d ms: B->S %d/1000 arrived; RTTs %s%n", delay, up, rtts);
            double lost = 100.0 - up / 10.0;
            assertTrue(lost >= 15 && lost <= 25, "lost " + lost + "%");
            assertTrue(rtts.get(0) >= 2 * delay - 0.05, "the delay still holds every packet: " + rtts);
            assertTrue(rtts.get(0) < 2 * delay + 5, "some ping came back: " + rtts);
        }
    }

    @Test
    void badLossesAndSegmentsAreRejectedBeforeAnythingIsBuilt() {
        assertThrows(IllegalArgumentException.class, () -> LabOptions.defaults().withInternetLoss(-1));
        assertThrows(IllegalArgumentException.class, () -> LabOptions.defaults().withInternetLoss(100));
        assertThrows(IllegalArgumentException.class, () -> LabOptions.defaults().withInternetLoss(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> LabOptions.defaults().withInternetLoss(0.001));
        assertThrows(IllegalArgumentException.class, () -> LabOptions.defaults().withInternetLoss(99.996));
        assertEquals(0.0, LabOptions.defaults().withInternetLoss(3).withInternetLoss(0).internetLossPercent());
        assertEquals(0.25, LabOptions.defaults().withInternetLoss(0.25).internetLossPercent());
        List<String> before = Netns.list();
        LabException e = assertThrows(LabException.class,
                () -> Lab.create(Scenario.FIGURE_3, LabOptions.defaults().withSegmentLoss("isp", 1)));
        assertTrue(e.getMessage().contains("isp"), e.getMessage());
        LabException f = assertThrows(LabException.class, () -> Lab.create(Scenario.FIGURE_3,
                LabOptions.defaults().withInternetLoss(1).withInjectedFailureAfter("loss")));
        assertTrue(f.getMessage().contains("loss"), f.getMessage());
        String mine = Netns.PREFIX + ProcessHandle.current().pid() + "-";
        assertEquals(before.stream().filter(n -> n.startsWith(mine)).toList(),
                Netns.list().stream().filter(n -> n.startsWith(mine)).toList(), "no namespace left behind");
    }

    @Test
    void aLabWithoutLossHasNoCounters() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_3)) {
            assertEquals(0.0, lab.internetLossPercent());
            assertThrows(IllegalArgumentException.class, () -> lab.segmentTraffic(LabOptions.INTERNET));
            assertFalse(link(lab, "natA", "wan0").contains("gso_max_segs 1 "), link(lab, "natA", "wan0"));
        }
    }

    private static int count(Probe p, String tag) {
        return (int) p.drain().stream().filter(r -> r.payload().startsWith(tag + " ")).map(Probe.Received::payload)
                .distinct().count();
    }

    private static double lost(int arrived) {
        return 100.0 * (N - arrived) / N;
    }

    private static String link(Lab lab, String host, String iface) throws LabException {
        return Exec.check(List.of(Exec.tool("ip"), "-n", lab.namespace(host), "-d", "link", "show", iface));
    }
}
