package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real UDP sockets across the lab's NATs, one scenario per test: RFC 5128 §3.3 hole punching in
 * the topologies of figures 3, 4 and 5, and RFC 4787 filtering and hairpinning.
 */
@Timeout(60)
class LabScenariosTest extends LabTestBase {
    private static final int RENDEZVOUS_PORT = 20001;
    private static final int OTHER_SERVER_PORT = 20002;
    private static final int PEER_PORT = 1234;

    /** The three probes of a scenario and the public endpoints the reflector saw. */
    private record Peers(Probe server, Probe a, Probe b, String publicA, String publicB) {
        static Peers start(Lab lab) throws Exception {
            Probe server = Probe.start(lab, "server", true, RENDEZVOUS_PORT, OTHER_SERVER_PORT);
            Probe a = Probe.start(lab, "clientA", false, PEER_PORT);
            Probe b = Probe.start(lab, "clientB", false, PEER_PORT);
            server.awaitReady();
            a.awaitReady();
            b.awaitReady();
            String s = lab.address("server");
            return new Peers(server, a, b, a.whoami(PEER_PORT, s, RENDEZVOUS_PORT), b.whoami(PEER_PORT, s, RENDEZVOUS_PORT));
        }

        /** RFC 5128 §3.3: both send to the other's endpoint a few times, at once; who heard whom. */
        List<Optional<Probe.Received>> punch(String toB, String toA) throws InterruptedException {
            for (int i = 0; i < 5; i++) {
                a.send(PEER_PORT, ip(toB), port(toB), "punch-from-A-" + i);
                b.send(PEER_PORT, ip(toA), port(toA), "punch-from-B-" + i);
                Thread.sleep(40);
            }
            Optional<Probe.Received> atA = a.awaitReceived(r -> r.payload().startsWith("punch-from-B"), Duration.ofSeconds(1));
            Optional<Probe.Received> atB = b.awaitReceived(r -> r.payload().startsWith("punch-from-A"), Duration.ofSeconds(1));
            return List.of(atA, atB);
        }
    }

    /** The counters this suite watches, read in one go. */
    private record Counters(long serverIn, long serverOut, List<Long> natIn, List<Long> natOut) {
        static Counters read(Lab lab) throws LabException {
            List<Long> in = new java.util.ArrayList<>();
            List<Long> out = new java.util.ArrayList<>();
            for (String nat : lab.nats()) {
                in.add(lab.natPublicUdpPacketsIn(nat));
                out.add(lab.natPublicUdpPacketsOut(nat));
            }
            return new Counters(lab.serverUdpPacketsIn(), lab.serverUdpPacketsOut(), in, out);
        }
    }

    @Test
    void figure3HolePunchBetweenDifferentNatsWorks() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_3)) {
            Peers p = Peers.start(lab);
            // endpoint-independent, port-preserving mapping: no collision here, so port 1234 stays
            assertEquals("192.0.2.1:1234", p.publicA());
            assertEquals("192.0.2.254:1234", p.publicB());
            assertTrue(lab.serverUdpPacketsIn() >= 2 && lab.serverUdpPacketsOut() >= 2, "reflector traffic counted");

            long serverIn = lab.serverUdpPacketsIn();
            long serverOut = lab.serverUdpPacketsOut();
            long natAOut = lab.natPublicUdpPacketsOut("natA");
            long natBIn = lab.natPublicUdpPacketsIn("natB");
            List<Optional<Probe.Received>> heard = p.punch(p.publicB(), p.publicA());

            assertEquals(Optional.of(p.publicB()), heard.get(0).map(Probe.Received::from), "A hears B's public endpoint");
            assertEquals(Optional.of(p.publicA()), heard.get(1).map(Probe.Received::from), "B hears A's public endpoint");
            assertEquals(serverIn, lab.serverUdpPacketsIn(), "punch traffic never touched S");
            assertEquals(serverOut, lab.serverUdpPacketsOut(), "punch traffic never touched S");
            assertTrue(lab.natPublicUdpPacketsOut("natA") >= natAOut + 5, "A's punches left NAT A's public side");
            assertTrue(lab.natPublicUdpPacketsIn("natB") >= natBIn + 5, "A's punches reached NAT B's public side");
        }
    }

    @Test
    void figure3UnsolicitedPacketIsDroppedButTheContactedEndpointGetsThrough() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_3)) {
            Peers p = Peers.start(lab);
            long in = lab.natPublicUdpPacketsIn("natA");
            long dropped = lab.natUnsolicitedDropped("natA");

            // S's other port: clientA never sent there, so address-and-port-dependent filtering drops it
            for (int i = 0; i < 3; i++) {
                p.server().send(OTHER_SERVER_PORT, ip(p.publicA()), port(p.publicA()), "unsolicited-" + i);
            }
            Optional<Probe.Received> leaked = p.a().awaitReceived(r -> r.payload().startsWith("unsolicited"), Duration.ofMillis(500));
            assertTrue(leaked.isEmpty(), "unsolicited packet reached clientA: " + leaked);
            assertEquals(in + 3, lab.natPublicUdpPacketsIn("natA"), "the packets did arrive at NAT A");
            assertEquals(dropped + 3, lab.natUnsolicitedDropped("natA"), "and NAT A dropped them");

            // the rendezvous endpoint clientA did contact gets through the same mapping
            p.server().send(RENDEZVOUS_PORT, ip(p.publicA()), port(p.publicA()), "solicited");
            assertTrue(p.a().awaitReceived(r -> r.payload().equals("solicited"), Duration.ofSeconds(1)).isPresent());
        }
    }

    @Test
    void figure4ClientsReachEachOthersPrivateAddresses() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_4)) {
            Peers p = Peers.start(lab);
            Counters before = Counters.read(lab);
            List<Optional<Probe.Received>> heard = p.punch(
                    lab.address("clientB") + ":" + PEER_PORT, lab.address("clientA") + ":" + PEER_PORT);

            assertEquals(Optional.of("10.1.1.3:1234"), heard.get(0).map(Probe.Received::from));
            assertEquals(Optional.of("10.0.0.1:1234"), heard.get(1).map(Probe.Received::from));
            assertEquals(before, Counters.read(lab), "private traffic stays on the LAN: NAT and S counters unchanged");
        }
    }

    @Test
    void figure4NatHairpinsWithTheSendersPublicEndpoint() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_4)) {
            Peers p = Peers.start(lab);
            assertEquals("192.0.2.1", ip(p.publicA()));
            assertEquals("192.0.2.1", ip(p.publicB()));
            assertNotEquals(p.publicA(), p.publicB(), "both used port 1234: the NAT had to give one another port");
            Counters before = Counters.read(lab);

            List<Optional<Probe.Received>> heard = p.punch(p.publicB(), p.publicA());

            // RFC 4787 REQ-9a: hairpinned packets carry the sender's external source address and port
            assertEquals(Optional.of(p.publicB()), heard.get(0).map(Probe.Received::from));
            assertEquals(Optional.of(p.publicA()), heard.get(1).map(Probe.Received::from));
            assertEquals(before, Counters.read(lab), "hairpinned traffic never left by the public interface");
        }
    }

    @Test
    void figure5HolePunchThroughNatXWorksThanksToHairpinning() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_5)) {
            assertTrue(lab.natBehaviour("natX").hairpinning());
            Peers p = Peers.start(lab);
            assertEquals("192.0.2.1", ip(p.publicA()));
            assertEquals("192.0.2.1", ip(p.publicB()));
            assertNotEquals(p.publicA(), p.publicB());
            long natXIn = lab.natPublicUdpPacketsIn("natX");
            long natXOut = lab.natPublicUdpPacketsOut("natX");
            long natAOut = lab.natPublicUdpPacketsOut("natA");
            long serverIn = lab.serverUdpPacketsIn();

            List<Optional<Probe.Received>> heard = p.punch(p.publicB(), p.publicA());

            assertEquals(Optional.of(p.publicB()), heard.get(0).map(Probe.Received::from), "A hears B via NAT X's hairpin");
            assertEquals(Optional.of(p.publicA()), heard.get(1).map(Probe.Received::from), "B hears A via NAT X's hairpin");
            assertEquals(natXIn, lab.natPublicUdpPacketsIn("natX"), "nothing crossed NAT X's public interface");
            assertEquals(natXOut, lab.natPublicUdpPacketsOut("natX"), "nothing crossed NAT X's public interface");
            assertEquals(serverIn, lab.serverUdpPacketsIn());
            assertTrue(lab.natPublicUdpPacketsOut("natA") >= natAOut + 5, "A's punches left home NAT A towards NAT X");
        }
    }

    @Test
    void figure5HolePunchFailsWithoutHairpinning() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_5, LabOptions.defaults().withHairpinning("natX", false))) {
            assertTrue(!lab.natBehaviour("natX").hairpinning());
            Peers p = Peers.start(lab);
            assertEquals("192.0.2.1", ip(p.publicA()));
            assertEquals("192.0.2.1", ip(p.publicB()));

            List<Optional<Probe.Received>> heard = p.punch(p.publicB(), p.publicA());

            assertEquals(List.of(Optional.empty(), Optional.empty()), heard, "without hairpinning neither peer hears the other");
            assertEquals(List.of(), p.a().drain());
            assertEquals(List.of(), p.b().drain());
        }
    }

    @Test
    void figure1SymmetricNatsDefeatHolePunchingUntilTheyAreReplacedByHomeRouters() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_1)) {
            assertEquals(LabNat.symmetricRandom(), lab.natBehaviour("natA"));
            assertEquals(LabNat.symmetricRandom(), lab.natBehaviour("natB"));
            Peers p = Peers.start(lab);
            assertEquals("192.0.2.1", ip(p.publicA()));
            assertEquals("192.0.2.254", ip(p.publicB()));
            long droppedAtB = lab.natUnsolicitedDropped("natB");

            // RFC 5128 §3.1: each NAT gives the punch a new random port, and the peer's NAT filters
            // by the endpoint S saw: neither side hears the other, the peers would have to relay
            List<Optional<Probe.Received>> heard = p.punch(p.publicB(), p.publicA());
            assertEquals(List.of(Optional.empty(), Optional.empty()), heard, "symmetric NATs: no punch gets through");
            assertTrue(lab.natUnsolicitedDropped("natB") >= droppedAtB + 5, "A's punches reached NAT B and were dropped");

            // the NATs are replaced mid-session: the same sockets now get port-preserving mappings
            lab.setNatBehaviour("natA", LabNat.homeRouter(false));
            lab.setNatBehaviour("natB", LabNat.homeRouter(false));
            assertEquals(LabNat.homeRouter(false), lab.natBehaviour("natA"));
            String s = lab.address("server");
            String publicA = p.a().whoami(PEER_PORT, s, RENDEZVOUS_PORT);
            String publicB = p.b().whoami(PEER_PORT, s, RENDEZVOUS_PORT);
            assertEquals("192.0.2.1:1234", publicA);
            assertEquals("192.0.2.254:1234", publicB);
            p.a().drain();
            p.b().drain();
            heard = p.punch(publicB, publicA);
            assertEquals(Optional.of(publicB), heard.get(0).map(Probe.Received::from), "A hears B after the swap");
            assertEquals(Optional.of(publicA), heard.get(1).map(Probe.Received::from), "B hears A after the swap");
        }
    }

    @Test
    void figure2ThePublicHostIsReachableButReachesTheNattedClientOnlyAfterItSentFirst() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_2)) {
            assertEquals(List.of("natA"), lab.nats());
            assertEquals("192.0.2.77", lab.address("clientB"));
            assertEquals("192.0.2.77", lab.publicAddress("clientB"));
            assertEquals("192.0.2.1", lab.publicAddress("clientA"));
            Peers p = Peers.start(lab);
            assertEquals("192.0.2.1:1234", p.publicA());
            assertEquals("192.0.2.77:1234", p.publicB(), "no NAT in front of B: S sees its own endpoint");
            long serverIn = lab.serverUdpPacketsIn();
            long dropped = lab.natUnsolicitedDropped("natA");

            // B cannot open a connection to A: NAT A drops it (the premise of connection reversal)
            for (int i = 0; i < 3; i++) {
                p.b().send(PEER_PORT, ip(p.publicA()), port(p.publicA()), "from-B-unsolicited-" + i);
            }
            assertTrue(p.a().awaitReceived(r -> r.payload().startsWith("from-B"), Duration.ofMillis(400)).isEmpty());
            assertEquals(dropped + 3, lab.natUnsolicitedDropped("natA"));

            // A reaches B directly, and then B's answer gets through A's NAT (RFC 5128 §3.2)
            p.a().send(PEER_PORT, lab.address("clientB"), PEER_PORT, "from-A");
            Optional<Probe.Received> atB = p.b().awaitReceived(r -> r.payload().equals("from-A"), Duration.ofSeconds(1));
            assertEquals(Optional.of(p.publicA()), atB.map(Probe.Received::from), "B sees A's public endpoint");
            p.b().send(PEER_PORT, ip(p.publicA()), port(p.publicA()), "from-B-reply");
            Optional<Probe.Received> atA = p.a().awaitReceived(r -> r.payload().equals("from-B-reply"), Duration.ofSeconds(1));
            assertEquals(Optional.of("192.0.2.77:1234"), atA.map(Probe.Received::from));
            assertEquals(serverIn, lab.serverUdpPacketsIn(), "A and B talked directly, not through S");
        }
    }

    static String ip(String endpoint) {
        return endpoint.substring(0, endpoint.lastIndexOf(':'));
    }

    static int port(String endpoint) {
        return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    }
}
