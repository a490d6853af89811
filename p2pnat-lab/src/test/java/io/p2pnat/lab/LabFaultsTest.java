package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.LabNat.Filtering;
import io.p2pnat.lab.LabNat.Mapping;
import io.p2pnat.lab.LabNat.PortAllocation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The faults a session must survive (issue 19), seen with plain UDP probes: a NAT reboot gives
 * every mapping a new public port and leaves the NAT's behaviour as it was; a moved host has a
 * new address and a new public port, and its wildcard-bound socket goes on working.
 */
@Timeout(90)
class LabFaultsTest extends LabTestBase {

    static Stream<Arguments> behaviours() {
        return Stream.of(
                LabNat.homeRouter(false),
                LabNat.fullCone().withHairpinning(true),
                LabNat.of(Mapping.ENDPOINT_INDEPENDENT_NON_PRESERVING, PortAllocation.SEQUENTIAL,
                        Filtering.ADDRESS_DEPENDENT),
                LabNat.of(Mapping.ENDPOINT_INDEPENDENT_NON_PRESERVING, PortAllocation.RANDOM,
                        Filtering.ADDRESS_AND_PORT_DEPENDENT),
                LabNat.addressDependentSequential(1),
                LabNat.symmetricSequential(2),
                LabNat.symmetricRandom())
                .map(b -> Arguments.of(Named.of(b.label(), b)));
    }

    /** The public endpoints S1:20001, S1:20002 and S2:20003 see for one inside port. */
    private static List<String> observe(Probe a, int port) throws InterruptedException {
        return List.of(a.whoami(port, S1, 20001), a.whoami(port, S1, 20002), a.whoami(port, S2, 20003));
    }

    private static Set<Integer> ports(List<String> endpoints) {
        Set<Integer> ports = new HashSet<>();
        endpoints.forEach(e -> ports.add(LabScenariosTest.port(e)));
        return ports;
    }

    /**
     * Client A's port 1234 is observed from three remote endpoints, NAT A reboots, and the same
     * socket is observed again: every public port is new, the mapping behaviour (how many
     * distinct ports for the three) and the allocation are the configured ones, filtering and
     * hairpinning still work as configured for a fresh mapping; a second reboot changes the ports
     * again, and {@link Lab#setNatBehaviour} starts the NAT over at boot 0.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("behaviours")
    void aRebootedNatHasNewPublicPortsAndTheSameBehaviour(LabNat b) throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_4, LabOptions.defaults().withNatBehaviour("natA", b))) {
            Probe server = Probe.start(lab, "server", List.of("--reflect", "20001", "20002", S2_SOCKET));
            Probe a = Probe.start(lab, "clientA", false, 1234, 1240);
            Probe other = Probe.start(lab, "clientB", false, 1234);
            server.awaitReady();
            a.awaitReady();
            other.awaitReady();

            List<String> before = observe(a, 1234);
            assertEquals(0, lab.natBoot("natA"));
            assertEquals(1, lab.rebootNat("natA"));
            String log = b.label() + " before " + before + "\n" + lab.ruleset("natA");
            assertEquals(b, lab.natBehaviour("natA"), "the behaviour is kept");
            assertEquals(1, lab.natBoot("natA"));
            List<String> after = observe(a, 1234);
            log = "after " + after + ", " + log;

            for (String e : after) {
                assertEquals("192.0.2.1", LabScenariosTest.ip(e), log);
            }
            Set<Integer> old = ports(before);
            Set<Integer> fresh = ports(after);
            for (int p : fresh) {
                assertFalse(old.contains(p), "public port " + p + " was in use before the reboot: " + log);
            }
            int expectedDistinct = switch (b.mapping()) {
                case ENDPOINT_INDEPENDENT, ENDPOINT_INDEPENDENT_NON_PRESERVING -> 1;
                case ADDRESS_DEPENDENT -> 2;
                case ADDRESS_AND_PORT_DEPENDENT -> 3;
            };
            assertEquals(expectedDistinct, fresh.size(), "mapping behaviour after the reboot: " + log);
            assertEquals(ports(before).size(), fresh.size(), "as before the reboot: " + log);
            if (b.mapping() == Mapping.ADDRESS_DEPENDENT) {
                assertEquals(after.get(0), after.get(1), "same remote IP, same mapping: " + log);
            }

            List<Integer> order = new ArrayList<>();
            after.forEach(e -> {
                int p = LabScenariosTest.port(e);
                if (!order.contains(p)) {
                    order.add(p);
                }
            });
            switch (b.portAllocation()) {
                case PRESERVING -> assertTrue(order.stream().allMatch(p -> p >= 10000 && p <= 19999),
                        "first reboot's block 10000-19999: " + log);
                case SEQUENTIAL -> {
                    List<Integer> expected = new ArrayList<>();
                    for (int i = 0; i < order.size(); i++) {
                        expected.add(LabNat.SEQUENTIAL_FIRST_PORT + (250 + i) * b.portDelta());
                    }
                    assertEquals(expected, order, "sequential, 250 steps on: " + log);
                }
                case RANDOM -> assertTrue(order.stream().allMatch(p -> p >= 1024 && p <= 33279),
                        "first reboot's half 1024-33279: " + log);
            }

            // filtering, on a fresh mapping: 1240 sends to S1:20001 only
            String h = a.whoami(1240, S1, 20001);
            server.send("20002", LabScenariosTest.ip(h), LabScenariosTest.port(h), "same-ip-other-port");
            server.send(S2_SOCKET, LabScenariosTest.ip(h), LabScenariosTest.port(h), "other-ip");
            boolean sameIpPasses = b.filtering() != Filtering.ADDRESS_AND_PORT_DEPENDENT;
            boolean otherIpPasses = b.filtering() == Filtering.ENDPOINT_INDEPENDENT;
            assertEquals(sameIpPasses, a.awaitReceived(r -> r.payload().equals("same-ip-other-port"),
                    sameIpPasses ? Duration.ofSeconds(1) : SILENCE).isPresent(), "filtering, same IP: " + log);
            assertEquals(otherIpPasses, a.awaitReceived(r -> r.payload().equals("other-ip"),
                    otherIpPasses ? Duration.ofSeconds(1) : SILENCE).isPresent(), "filtering, other IP: " + log);

            if (b.hairpinning()) {
                String eb = other.whoami(1234, S1, 20001);
                other.send(1234, LabScenariosTest.ip(after.get(0)), LabScenariosTest.port(after.get(0)), "hairpin");
                Optional<Probe.Received> looped = a.awaitReceived(r -> r.payload().equals("hairpin"), Duration.ofSeconds(1));
                assertEquals(Optional.of(eb), looped.map(Probe.Received::from), "hairpinned after the reboot: " + log);
            }

            assertEquals(2, lab.rebootNat("natA"));
            String again = a.whoami(1234, S1, 20001);
            assertFalse(fresh.contains(LabScenariosTest.port(again)), "second reboot, another port: " + again + ", " + log);
            assertEquals(b, lab.natBehaviour("natA"));

            lab.setNatBehaviour("natA", b);
            assertEquals(0, lab.natBoot("natA"), "a behaviour set anew is a NAT as built");
            if (b.portAllocation() == PortAllocation.PRESERVING) {
                assertEquals("192.0.2.1:1234", a.whoami(1234, S1, 20001), "preserving again: " + log);
            }
            System.out.printf("reboot %-32s before %s after %s, boot 2 %s%n", b.label(), before, after, again);
        }
    }

    /**
     * Client A (figure 3, behind its own port-preserving NAT) moves twice: each time a new
     * address on its LAN, its default route still in place, a new public port, and the socket it
     * bound to the wildcard address before the move still sends and receives. Client B and its
     * NAT are untouched.
     */
    @Test
    void aMovedHostHasANewAddressAndANewPublicPort() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_3)) {
            Probe server = Probe.start(lab, "server", true, 20001);
            Probe a = Probe.start(lab, "clientA", false, 1234);
            Probe b = Probe.start(lab, "clientB", false, 1234);
            server.awaitReady();
            a.awaitReady();
            b.awaitReady();
            assertEquals("192.0.2.1:1234", a.whoami(1234, S1, 20001));
            assertEquals("192.0.2.254:1234", b.whoami(1234, S1, 20001));

            String moved = lab.moveHost("clientA");
            assertEquals("10.0.0.2", moved);
            assertEquals(moved, lab.address("clientA"));
            assertEquals(List.of(moved), lab.addresses("clientA"));
            String addrs = ip(lab, "clientA", "-4", "addr", "show", "dev", "eth0");
            assertTrue(addrs.contains("inet 10.0.0.2/24"), addrs);
            assertFalse(addrs.contains("10.0.0.1/"), addrs);
            String routes = ip(lab, "clientA", "-4", "route", "show");
            assertTrue(routes.contains("default via 10.0.0.254"), routes);
            assertEquals(1, lab.natBoot("natA"), "its NAT rebooted");
            assertEquals(0, lab.natBoot("natB"), "the other NAT did not");

            String e1 = a.whoami(1234, S1, 20001);
            assertEquals("192.0.2.1", LabScenariosTest.ip(e1));
            int p1 = LabScenariosTest.port(e1);
            assertTrue(p1 != 1234 && p1 >= 10000 && p1 <= 19999, "a new public port: " + e1);
            assertEquals(e1, a.whoami(1234, S1, 20001), "and a stable one");
            assertEquals("192.0.2.254:1234", b.whoami(1234, S1, 20001), "B is untouched");

            // hole punching to the new public endpoint: B's first packet opens B's NAT (and is
            // dropped at A's), A's gets through, then B's
            b.send(1234, "192.0.2.1", p1, "punch");
            Thread.sleep(50);
            a.send(1234, "192.0.2.254", 1234, "from-moved-a");
            Optional<Probe.Received> atB = b.awaitReceived(r -> r.payload().equals("from-moved-a"), Duration.ofSeconds(1));
            assertEquals(Optional.of("192.0.2.1:" + p1), atB.map(Probe.Received::from));
            b.send(1234, "192.0.2.1", p1, "to-moved-a");
            assertTrue(a.awaitReceived(r -> r.payload().equals("to-moved-a"), Duration.ofSeconds(1)).isPresent());
            b.send(1234, "192.0.2.1", 1234, "to-old-endpoint");
            assertTrue(a.awaitReceived(r -> r.payload().equals("to-old-endpoint"), SILENCE).isEmpty(),
                    "the old public endpoint leads nowhere");

            assertEquals("10.0.0.3", lab.moveHost("clientA"), "never back to an old address");
            String e2 = a.whoami(1234, S1, 20001);
            assertNotEquals(e1, e2);
            int p2 = LabScenariosTest.port(e2);
            assertTrue(p2 >= 20000 && p2 <= 29999, "second reboot's block: " + e2);
            System.out.printf("move clientA: 10.0.0.1 -> %s -> 10.0.0.3, public 192.0.2.1:1234 -> %s -> %s%n",
                    moved, e1, e2);

            assertThrows(IllegalArgumentException.class, () -> lab.moveHost("natA"));
            assertThrows(IllegalArgumentException.class, () -> lab.moveHost("server"));
        }
    }

    private static String ip(Lab lab, String host, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Exec.tool("ip")));
        command.addAll(List.of(args));
        return Exec.check(Exec.inNamespace(lab.namespace(host), command));
    }

    /**
     * A reboot in the middle of two-way traffic ends the old mapping for good. Before, the new
     * table's learning chain saw the old flows' packets until conntrack was flushed and learned
     * their public port, so half the reboots kept it and the traffic went on as if nothing happened.
     */
    @Test
    void aRebootDuringTwoWayTrafficEndsTheOldMapping() throws Exception {
        for (int trial = 0; trial < 4; trial++) {
            try (Lab lab = Lab.create(Scenario.FIGURE_3)) {
                Probe a = Probe.start(lab, "clientA", false, 1234);
                Probe b = Probe.start(lab, "clientB", false, 1234);
                a.awaitReady();
                b.awaitReady();
                String publicA = lab.publicAddress("clientA");
                String publicB = lab.publicAddress("clientB");
                // Both send all along, from their own thread: the reboot must land among packets in flight.
                java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
                Thread traffic = new Thread(() -> {
                    try {
                        for (int i = 0; i < 80; i++) {
                            a.send(1234, publicB, 1234, "to-B-" + i);
                            b.send(1234, publicA, 1234, "to-A-" + i);
                            sent.set(i);
                            Thread.sleep(10);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                traffic.start();
                assertTrue(a.awaitReceived(r -> r.payload().startsWith("to-A-"), Duration.ofSeconds(2)).isPresent(),
                        "the path works before the reboot");
                Thread.sleep(150);
                lab.rebootNat("natB");
                int after = sent.get() + 5; // sent 50 ms or more after the reboot ended
                traffic.join();
                Thread.sleep(200);
                List<Probe.Received> late = a.drain().stream()
                        .filter(r -> r.payload().startsWith("to-A-") && Integer.parseInt(r.payload().substring(5)) > after)
                        .toList();
                assertEquals(List.of(), late, "trial " + trial + ": B's traffic still came through its old mapping");
            }
        }
    }
}
