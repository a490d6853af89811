package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LabOptions#withInternetDelay}: every packet crossing the Internet segment is held for the
 * one-way delay, nothing else is, and the delay daemon never outlives its lab.
 */
@Timeout(120)
class LabDelayTest extends LabTestBase {
    private static final int DELAY_MS = 20;
    private static final int REFLECTOR_PORT = 20001;
    private static final int PINGS = 30;

    @Test
    void roundTripsAcrossTheInternetTakeTwiceTheDelayAndLanTripsNone() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_2, LabOptions.defaults().withInternetDelay(DELAY_MS))) {
            assertEquals(DELAY_MS, lab.internetDelayMs());
            assertTrue(lab.delayActive());
            Probe server = Probe.start(lab, "server", true, REFLECTOR_PORT);
            // natA's inside address: a reflector one LAN bridge away from client A
            Probe nat = Probe.start(lab, "natA", List.of("--reflect", "10.0.0.254:" + REFLECTOR_PORT));
            Probe b = Probe.start(lab, "clientB", List.of());
            Probe a = Probe.start(lab, "clientA", List.of());
            for (Probe p : List.of(server, nat, b, a)) {
                p.awaitReady();
            }
            // warm up (ARP, JIT) before timing
            b.pingMillis(lab.address("server"), REFLECTOR_PORT, 3);
            a.pingMillis("10.0.0.254", REFLECTOR_PORT, 3);

            // B 192.0.2.77 and S 192.0.2.128 are both on the Internet segment: one crossing each way
            List<Double> internet = b.pingMillis(lab.address("server"), REFLECTOR_PORT, PINGS);
            // A -> NAT A's public side -> S: the same Internet crossing, through a NAT
            List<Double> natted = a.pingMillis(lab.address("server"), REFLECTOR_PORT, PINGS);
            List<Double> lan = a.pingMillis("10.0.0.254", REFLECTOR_PORT, PINGS);
            System.out.printf("lab delay %d ms one-way: RTT internet min %.2f p50 %.2f max %.2f; via NAT p50 %.2f;"
                            + " LAN p50 %.3f ms%n", DELAY_MS, internet.get(0), median(internet), internet.get(PINGS - 1),
                    median(natted), median(lan));

            double expected = 2.0 * DELAY_MS;
            assertTrue(internet.get(0) >= expected - 0.05, "no packet beats the delay: " + internet);
            assertTrue(median(internet) <= expected + 3, "RTT = 2 x delay within a few ms: " + internet);
            assertTrue(natted.get(0) >= expected - 0.05 && median(natted) <= expected + 3, "through NAT A: " + natted);
            assertTrue(median(lan) < 5, "the LAN segment is not delayed: " + lan);
        }
    }

    @Test
    void withoutADelayNothingIsQueued() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_2)) {
            assertEquals(0, lab.internetDelayMs());
            assertFalse(lab.delayActive());
            Probe server = Probe.start(lab, "server", true, REFLECTOR_PORT);
            Probe b = Probe.start(lab, "clientB", List.of());
            server.awaitReady();
            b.awaitReady();
            b.pingMillis(lab.address("server"), REFLECTOR_PORT, 3);
            List<Double> rtts = b.pingMillis(lab.address("server"), REFLECTOR_PORT, 10);
            assertTrue(median(rtts) < 5, "no delay asked, none added: " + rtts);
            String switchNs = lab.allNamespaces().get(lab.allNamespaces().size() - 1);
            assertTrue(pids(switchNs).isEmpty(), "no daemon in the switch namespace");
        }
    }

    @Test
    void closeStopsTheDaemonsBeforeTheNamespacesGo() throws Exception {
        Lab lab = Lab.create(Scenario.FIGURE_5,
                LabOptions.defaults().withInternetDelay(5).withSegmentDelay("isp", 7).withSegmentDelay("lanA", 5));
        assertEquals(5, lab.internetDelayMs());
        assertEquals(7, lab.segmentDelayMs("isp"));
        assertEquals(0, lab.segmentDelayMs("lanB"));
        String switchNs = lab.allNamespaces().get(lab.allNamespaces().size() - 1);
        assertTrue(switchNs.endsWith("switch"));
        List<Long> daemons = pids(switchNs);
        assertEquals(2, daemons.size(), "one nfq-delay per distinct delay in the switch namespace: " + daemons);
        String rules = Exec.check(Exec.inNamespace(switchNs, List.of(Exec.tool("iptables"), "-S", "FORWARD")));
        assertTrue(rules.contains("-A FORWARD -i br-inet -j NFQUEUE --queue-num 1 --queue-bypass"), rules);
        assertTrue(rules.contains("-A FORWARD -i br-isp -j NFQUEUE --queue-num 2 --queue-bypass"), rules);
        assertTrue(rules.contains("-A FORWARD -i br-lanA -j NFQUEUE --queue-num 1 --queue-bypass"), rules);
        assertFalse(rules.contains("br-lanB"), rules);
        lab.close();
        for (long pid : daemons) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "daemon " + pid + " stopped");
        }
        assertFalse(Netns.list().contains(switchNs));
    }

    @Test
    void aSegmentTheScenarioLacksIsRejectedBeforeAnythingIsBuilt() {
        List<String> before = ownNamespaces();
        LabException e = assertThrows(LabException.class,
                () -> Lab.create(Scenario.FIGURE_3, LabOptions.defaults().withSegmentDelay("isp", 10)));
        assertTrue(e.getMessage().contains("isp"), e.getMessage());
        assertEquals(before, ownNamespaces());
    }

    @Test
    void aFailedCreateStopsTheDaemonToo() {
        List<String> before = ownNamespaces();
        LabException e = assertThrows(LabException.class, () -> Lab.create(Scenario.FIGURE_3,
                LabOptions.defaults().withInternetDelay(5).withInjectedFailureAfter("delay")));
        assertTrue(e.getMessage().contains("delay"), e.getMessage());
        assertEquals(before, ownNamespaces(), "no namespace left behind");
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.parent().map(ProcessHandle::pid)
                .orElse(-1L) == ProcessHandle.current().pid() && p.info().command().orElse("").endsWith("nfq-delay")),
                "no nfq-delay left running");
    }

    @Test
    void aCheckoutWithoutTheBuildScriptIsAClearError() throws Exception {
        Path empty = Files.createTempDirectory("p2pnat-no-home");
        String old = System.getProperty("p2pnat.home");
        System.setProperty("p2pnat.home", empty.toString());
        List<String> before = ownNamespaces();
        try {
            LabException e = assertThrows(LabException.class,
                    () -> Lab.create(Scenario.FIGURE_3, LabOptions.defaults().withInternetDelay(20)));
            assertTrue(e.getMessage().contains("nfq-delay") && e.getMessage().contains("p2pnat.home"), e.getMessage());
            assertEquals(before, ownNamespaces(), "no namespace left behind");
            // a lab without a delay does not need the tool at all
            try (Lab lab = Lab.create(Scenario.FIGURE_3)) {
                assertEquals(0, lab.internetDelayMs());
            }
        } finally {
            if (old == null) {
                System.clearProperty("p2pnat.home");
            } else {
                System.setProperty("p2pnat.home", old);
            }
            Files.deleteIfExists(empty);
        }
    }

    @Test
    void delaysOutOfRangeAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LabOptions.defaults().withInternetDelay(-1));
        assertThrows(IllegalArgumentException.class,
                () -> LabOptions.defaults().withInternetDelay(LabOptions.MAX_INTERNET_DELAY_MS + 1));
        assertEquals(0, LabOptions.defaults().internetDelayMs());
        assertEquals(7, LabOptions.defaults().withHairpinning("natA", true).withInternetDelay(7)
                .withHairpinning("natA", false).internetDelayMs());
        assertEquals(0, LabOptions.defaults().withSegmentDelay("isp", 3).withSegmentDelay("isp", 0).segmentDelayMs("isp"));
    }

    private static double median(List<Double> sorted) {
        return sorted.get(sorted.size() / 2);
    }

    private static List<Long> pids(String namespace) throws LabException {
        List<Long> pids = new ArrayList<>();
        for (String l : Exec.check(List.of(Exec.tool("ip"), "netns", "pids", namespace)).split("\n")) {
            if (!l.isBlank()) {
                pids.add(Long.parseLong(l.strip()));
            }
        }
        return pids;
    }

    private static List<String> ownNamespaces() {
        String mine = Netns.PREFIX + ProcessHandle.current().pid() + "-";
        return Netns.list().stream().filter(n -> n.startsWith(mine)).toList();
    }
}
