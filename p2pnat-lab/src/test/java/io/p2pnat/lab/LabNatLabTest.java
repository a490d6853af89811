package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.LabNat.Filtering;
import io.p2pnat.lab.LabNat.Mapping;
import io.p2pnat.lab.LabNat.PortAllocation;
import io.p2pnat.lab.LabNat.UnsolicitedTcp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What an outside observer sees of each RFC 4787 behaviour a lab NAT can have: real UDP (and a
 * little TCP) through NAT A of figure 4, with a reflector on S's two addresses. The expected
 * observation is derived from the behaviour's enums, so this is the lab's own natcheck.
 */
@Timeout(60)
class LabNatLabTest extends LabTestBase {

    static Stream<Arguments> behaviours() {
        return Stream.of(
                LabNat.homeRouter(false),
                LabNat.homeRouter(true),
                LabNat.fullCone(),
                LabNat.addressRestricted(),
                LabNat.of(Mapping.ENDPOINT_INDEPENDENT_NON_PRESERVING, PortAllocation.SEQUENTIAL,
                        Filtering.ADDRESS_AND_PORT_DEPENDENT).withHairpinning(true),
                LabNat.of(Mapping.ENDPOINT_INDEPENDENT_NON_PRESERVING, PortAllocation.RANDOM,
                        Filtering.ENDPOINT_INDEPENDENT),
                LabNat.addressDependentSequential(1),
                LabNat.of(Mapping.ADDRESS_DEPENDENT, PortAllocation.RANDOM, Filtering.ADDRESS_AND_PORT_DEPENDENT),
                LabNat.symmetricSequential(1).withHairpinning(true),
                LabNat.symmetricSequential(3).withFiltering(Filtering.ENDPOINT_INDEPENDENT),
                LabNat.symmetricRandom(),
                LabNat.symmetricRandom().withFiltering(Filtering.ADDRESS_DEPENDENT).withHairpinning(true))
                .map(b -> Arguments.of(Named.of(b.label(), b)));
    }

    /**
     * From clientA: port 1234 asks S1:20001, S1:20002 and S2:20003 which endpoint they see
     * (mapping), ports 1235 and 1236 ask S1:20001 (allocation across inside endpoints); port 1240
     * contacts S1:20001 only, then S1:20002 and S2:20003 send to its public endpoint (filtering).
     * Finally clientB sends to clientA's public endpoint (hairpinning).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("behaviours")
    void anObserverSeesTheConfiguredBehaviour(LabNat b) throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_4, LabOptions.defaults().withNatBehaviour("natA", b))) {
            assertEquals(b, lab.natBehaviour("natA"));
            Probe server = Probe.start(lab, "server", List.of("--reflect", "20001", "20002", S2_SOCKET));
            Probe a = Probe.start(lab, "clientA", false, 1234, 1235, 1236, 1240);
            Probe other = Probe.start(lab, "clientB", false, 1234);
            server.awaitReady();
            a.awaitReady();
            other.awaitReady();
            String log = b.label() + "\n" + lab.ruleset("natA");

            // mapping: one inside endpoint, three remote endpoints (two ports on S1, one on S2)
            String e1 = a.whoami(1234, S1, 20001);
            String e2 = a.whoami(1234, S1, 20002);
            String e3 = a.whoami(1234, S2, 20003);
            for (String e : List.of(e1, e2, e3)) {
                assertEquals("192.0.2.1", LabScenariosTest.ip(e), log);
            }
            switch (b.mapping()) {
                case ENDPOINT_INDEPENDENT, ENDPOINT_INDEPENDENT_NON_PRESERVING -> {
                    assertEquals(e1, e2, "same mapping for another port: " + log);
                    assertEquals(e1, e3, "same mapping for another IP: " + log);
                }
                case ADDRESS_DEPENDENT -> {
                    assertEquals(e1, e2, "same mapping for another port on the same IP: " + log);
                    assertNotEquals(e1, e3, "new mapping for another IP: " + log);
                }
                case ADDRESS_AND_PORT_DEPENDENT -> {
                    assertNotEquals(e1, e2, "new mapping for another port: " + log);
                    assertNotEquals(e1, e3, "new mapping for another IP: " + log);
                    assertNotEquals(e2, e3, log);
                }
            }

            // allocation: the public ports of new mappings, in the order they were made
            String f1 = a.whoami(1235, S1, 20001);
            String g1 = a.whoami(1236, S1, 20001);
            List<Integer> fresh = new ArrayList<>();
            for (String e : List.of(e1, e2, e3, f1, g1)) {
                int port = LabScenariosTest.port(e);
                if (!fresh.contains(port)) {
                    fresh.add(port);
                }
            }
            int expectedMappings = switch (b.mapping()) {
                case ENDPOINT_INDEPENDENT, ENDPOINT_INDEPENDENT_NON_PRESERVING -> 3;
                case ADDRESS_DEPENDENT -> 4;
                case ADDRESS_AND_PORT_DEPENDENT -> 5;
            };
            assertEquals(expectedMappings, fresh.size(), "new mappings " + fresh + ": " + log);
            switch (b.portAllocation()) {
                case PRESERVING -> assertEquals(List.of(1234, 1235, 1236), fresh, log);
                case SEQUENTIAL -> {
                    List<Integer> expected = new ArrayList<>();
                    for (int i = 0; i < fresh.size(); i++) {
                        expected.add(LabNat.SEQUENTIAL_FIRST_PORT + i * b.portDelta());
                    }
                    assertEquals(expected, fresh, "sequential ports, step " + b.portDelta() + ": " + log);
                }
                case RANDOM -> {
                    assertTrue(fresh.stream().allMatch(p -> p >= 1024 && p != 1234 && p != 1235 && p != 1236),
                            "random ports " + fresh + ": " + log);
                    List<Integer> steps = new ArrayList<>();
                    for (int i = 1; i < fresh.size(); i++) {
                        steps.add(fresh.get(i) - fresh.get(i - 1));
                    }
                    assertTrue(steps.stream().distinct().count() > 1, "no constant step in " + fresh + ": " + log);
                }
            }

            // filtering: 1240 sent to S1:20001 only
            String h = a.whoami(1240, S1, 20001);
            long dropped = lab.natUnsolicitedDropped("natA");
            server.send("20002", LabScenariosTest.ip(h), LabScenariosTest.port(h), "same-ip-other-port");
            server.send(S2_SOCKET, LabScenariosTest.ip(h), LabScenariosTest.port(h), "other-ip");
            boolean sameIpPasses = b.filtering() != Filtering.ADDRESS_AND_PORT_DEPENDENT;
            boolean otherIpPasses = b.filtering() == Filtering.ENDPOINT_INDEPENDENT;
            Optional<Probe.Received> sameIp = a.awaitReceived(r -> r.payload().equals("same-ip-other-port"),
                    sameIpPasses ? Duration.ofSeconds(1) : SILENCE);
            Optional<Probe.Received> otherIp = a.awaitReceived(r -> r.payload().equals("other-ip"),
                    otherIpPasses ? Duration.ofSeconds(1) : SILENCE);
            assertEquals(sameIpPasses ? Optional.of(S1 + ":20002") : Optional.empty(),
                    sameIp.map(Probe.Received::from), "from an unsent-to port on the same IP: " + log);
            assertEquals(otherIpPasses ? Optional.of(S2 + ":20003") : Optional.empty(),
                    otherIp.map(Probe.Received::from), "from another IP: " + log);
            sameIp.ifPresent(r -> assertEquals("1240", r.local(), log));
            otherIp.ifPresent(r -> assertEquals("1240", r.local(), log));
            long blocked = (sameIpPasses ? 0 : 1) + (otherIpPasses ? 0 : 1);
            assertEquals(dropped + blocked, lab.natUnsolicitedDropped("natA"), "NAT A dropped the refused ones: " + log);

            // hairpinning: clientB sends to clientA's public endpoint
            String eb = other.whoami(1234, S1, 20001);
            other.send(1234, LabScenariosTest.ip(e1), LabScenariosTest.port(e1), "hairpin");
            Optional<Probe.Received> looped = a.awaitReceived(r -> r.payload().equals("hairpin"),
                    b.hairpinning() ? Duration.ofSeconds(1) : SILENCE);
            // RFC 4787 REQ-9a: the source is the sender's public endpoint (its first one if it has several)
            assertEquals(b.hairpinning() ? Optional.of(eb) : Optional.empty(), looped.map(Probe.Received::from),
                    "hairpinned: " + log);
            System.out.printf("natcheck %-32s 1234->S1:20001 %s S1:20002 %s S2:20003 %s; new ports %s;"
                    + " same-ip %s other-ip %s hairpin %s%n", b.label(), e1, e2, e3, fresh,
                    sameIp.isPresent() ? "in" : "dropped", otherIp.isPresent() ? "in" : "dropped",
                    looped.map(r -> "from " + r.from()).orElse("none"));
        }
    }

    /**
     * TCP goes through the same mapping rules as UDP (one sequential counter for both), and an
     * unsolicited SYN is answered with a RST or dropped, as configured.
     */
    @Test
    void tcpSharesTheMappingRulesAndUnsolicitedSynsAreResetOrDropped() throws Exception {
        LabNat rst = LabNat.symmetricSequential(2).withUnsolicitedTcp(UnsolicitedTcp.RST);
        try (Lab lab = Lab.create(Scenario.FIGURE_2, LabOptions.defaults().withNatBehaviour("natA", rst))) {
            Probe server = Probe.start(lab, "server", List.of("--reflect", "20001", "--tcp-reflect", "20001"));
            Probe a = Probe.start(lab, "clientA", false, 1234);
            server.awaitReady();
            a.awaitReady();

            assertEquals("ok YOU 192.0.2.1:40000", a.tcp(1300, S1, 20001));
            assertEquals("ok YOU 192.0.2.1:40002", a.tcp(1301, S1, 20001));
            assertEquals("192.0.2.1:40004", a.whoami(1234, S1, 20001), "UDP continues TCP's sequence");

            long dropped = lab.natUnsolicitedDropped("natA");
            String refused = server.tcp(0, "192.0.2.1", 40004);
            assertTrue(refused.startsWith("error ConnectException"), refused);
            assertEquals(dropped + 1, lab.natUnsolicitedDropped("natA"), "the reset SYN is counted");

            lab.setNatBehaviour("natA", rst.withUnsolicitedTcp(UnsolicitedTcp.DROP));
            String timedOut = server.tcp(0, "192.0.2.1", 40004);
            assertTrue(timedOut.startsWith("error SocketTimeoutException"), timedOut);
            assertTrue(lab.natUnsolicitedDropped("natA") >= dropped + 2, "dropped SYNs are counted");
        }
    }

    /**
     * Every supported combination loads at runtime, {@link Lab#natBehaviour} follows, counters carry
     * over, and the NAT still works afterwards.
     */
    @Test
    void setNatBehaviourLoadsEverySupportedCombination() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_2)) {
            Probe server = Probe.start(lab, "server", true, 20001);
            Probe a = Probe.start(lab, "clientA", false, 1234);
            server.awaitReady();
            a.awaitReady();
            assertEquals("192.0.2.1:1234", a.whoami(1234, S1, 20001));
            long out = lab.natPublicUdpPacketsOut("natA");
            assertTrue(out >= 1);

            int loaded = 0;
            boolean tcpRst = false;
            for (Mapping m : Mapping.values()) {
                for (PortAllocation p : PortAllocation.values()) {
                    for (Filtering f : Filtering.values()) {
                        for (boolean hairpin : new boolean[] {false, true}) {
                            LabNat b;
                            try {
                                b = LabNat.of(m, p, f).withHairpinning(hairpin).withUnsolicitedTcp(
                                        (tcpRst = !tcpRst) ? UnsolicitedTcp.RST : UnsolicitedTcp.DROP);
                            } catch (IllegalArgumentException unsupported) {
                                continue;
                            }
                            lab.setNatBehaviour("natA", b);
                            assertEquals(b, lab.natBehaviour("natA"));
                            loaded++;
                        }
                    }
                }
            }
            assertEquals(7 * 3 * 2, loaded, "7 mapping/allocation pairs x 3 filterings x hairpin on/off");
            assertEquals(out, lab.natPublicUdpPacketsOut("natA"), "counters carried over");

            lab.setNatBehaviour("natA", LabNat.symmetricSequential(5));
            assertEquals("192.0.2.1:40000", a.whoami(1234, S1, 20001), "conntrack flushed: a new mapping, counter restarted");
            assertTrue(lab.natPublicUdpPacketsOut("natA") > out, "and counted on top");

            assertThrows(IllegalArgumentException.class, () -> lab.setNatBehaviour("clientB", LabNat.fullCone()));
            assertThrows(IllegalArgumentException.class, () -> lab.setNatBehaviour("natB", LabNat.fullCone()));
        }
    }
}
