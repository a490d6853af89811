package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Building, tearing down and cleaning up labs: no namespace or process outlives its lab. */
@Timeout(60)
class LabLifecycleTest {

    @BeforeEach
    void labAvailable() {
        LabAssumptions.assumeLabOrFail();
    }

    @Test
    void closeKillsEveryProcessAndDeletesEveryNamespace() throws Exception {
        Lab lab = Lab.create(Scenario.FIGURE_5);
        assertTrue(Netns.list().containsAll(lab.allNamespaces()), "all namespaces exist");
        assertEquals(7, lab.allNamespaces().size(), "6 hosts and the switch");
        Process remembered = lab.start("clientA", List.of("sleep", "600"));
        Process unremembered = lab.command("natX", List.of("sleep", "600")).start();
        assertTrue(remembered.isAlive() && unremembered.isAlive());

        long started = System.nanoTime();
        lab.close();
        long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertNoneLeft(lab);
        assertTrue(remembered.waitFor(5, TimeUnit.SECONDS), "process started through start() killed");
        assertTrue(unremembered.waitFor(5, TimeUnit.SECONDS), "process started around the lab killed too");
        assertTrue(closeMillis < 5000, "close took " + closeMillis + " ms");
        lab.close(); // idempotent, never throws
        assertThrows(IllegalStateException.class, () -> lab.start("clientA", List.of("true")));
        assertThrows(IllegalStateException.class, () -> lab.setNatBehaviour("natA", LabNat.fullCone()));
    }

    @Test
    void namespacesGoAwayWhenTheTestBodyThrows() throws Exception {
        List<Lab> seen = new ArrayList<>();
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> {
            try (Lab lab = Lab.create(Scenario.FIGURE_3)) {
                seen.add(lab);
                lab.start("server", List.of("sleep", "600"));
                throw new IllegalStateException("test body failed");
            }
        });
        assertEquals("test body failed", thrown.getMessage());
        assertNoneLeft(seen.get(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "links", "sysctl", "addresses", "nftables"})
    void failedCreateTearsDownWhatItBuilt(String step) {
        Set<String> before = ownNamespaces();
        LabException e = assertThrows(LabException.class,
                () -> Lab.create(Scenario.FIGURE_5, LabOptions.defaults().withInjectedFailureAfter(step)));
        assertTrue(e.getMessage().contains(step), e.getMessage());
        assertEquals(before, ownNamespaces(), "no namespace left behind");
    }

    @Test
    void optionsNamingAMissingNatAreRejectedBeforeAnythingIsBuilt() {
        Set<String> before = ownNamespaces();
        LabException e = assertThrows(LabException.class,
                () -> Lab.create(Scenario.FIGURE_3, LabOptions.defaults().withHairpinning("natX", true)));
        assertTrue(e.getMessage().contains("natX"), e.getMessage());
        assertEquals(before, ownNamespaces());
    }

    @Test
    void twoLabsWithTheSameAddressesRunSideBySide() throws Exception {
        try (Lab one = Lab.create(Scenario.FIGURE_3); Lab two = Lab.create(Scenario.FIGURE_3)) {
            assertNotEquals(one.namespace("server"), two.namespace("server"));
            assertEquals(one.address("server"), two.address("server"));
            // a packet in one lab is counted only there
            Probe client = Probe.start(one, "clientA", false, 1234).awaitReady();
            client.send(1234, one.address("server"), 20001, "hello");
            awaitCount(one, 1);
            assertEquals(0, two.serverUdpPacketsIn());
            assertEquals(1, one.natPublicUdpPacketsOut("natA"));
        }
    }

    @Test
    void cleanupStaleRemovesNamespacesOfDeadJvmsOnly() throws Exception {
        long deadPid = 4_194_304L + 7; // above the largest possible pid_max: no such process
        String stale = Netns.PREFIX + deadPid + "-0-1-clientA";
        String ours = Netns.newPrefix() + "clientA";
        Exec.check(List.of(Exec.tool("ip"), "netns", "add", stale));
        Exec.check(List.of(Exec.tool("ip"), "netns", "add", ours));
        try {
            Lab.cleanupStale();
            assertFalse(Netns.list().contains(stale), "namespace of a dead JVM removed");
            assertTrue(Netns.list().contains(ours), "namespace of this live JVM kept");
        } finally {
            Netns.destroy(List.of(stale, ours));
        }
    }

    private static void awaitCount(Lab lab, long expected) throws Exception {
        for (int i = 0; i < 50 && lab.serverUdpPacketsIn() < expected; i++) {
            Thread.sleep(20);
        }
        assertEquals(expected, lab.serverUdpPacketsIn());
    }

    /** This JVM's namespaces only: other JVMs on the machine may be running labs meanwhile. */
    private static Set<String> ownNamespaces() {
        String mine = Netns.PREFIX + ProcessHandle.current().pid() + "-";
        Set<String> own = new HashSet<>();
        Netns.list().stream().filter(n -> n.startsWith(mine)).forEach(own::add);
        return own;
    }

    private static void assertNoneLeft(Lab lab) {
        List<String> left = new ArrayList<>(lab.allNamespaces());
        left.retainAll(Netns.list());
        assertEquals(List.of(), left, "namespaces left after close()");
    }
}
