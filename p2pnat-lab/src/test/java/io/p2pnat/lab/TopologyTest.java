package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The scenarios' addresses are RFC 5128's (docs/background.md, "Lab conventions"); pure, runs everywhere. */
class TopologyTest {

    @Test
    void figure3() throws LabException {
        Topology t = Topology.of(Scenario.FIGURE_3, LabOptions.defaults());
        assertEquals(List.of("server", "natA", "natB", "clientA", "clientB"), List.copyOf(t.hosts().keySet()));
        assertEquals("192.0.2.128", t.host("server").mainAddress());
        assertEquals("10.0.0.1", t.host("clientA").mainAddress());
        assertEquals("10.1.1.3", t.host("clientB").mainAddress());
        assertEquals("192.0.2.1", t.publicAddress("clientA"));
        assertEquals("192.0.2.254", t.publicAddress("clientB"));
        assertEquals("192.0.2.128", t.publicAddress("server"));
        assertFalse(t.host("natA").nat().behaviour().hairpinning());
    }

    @Test
    void figure4() throws LabException {
        Topology t = Topology.of(Scenario.FIGURE_4, LabOptions.defaults());
        assertEquals(List.of("natA"), t.nats());
        assertEquals("192.0.2.1", t.publicAddress("clientA"));
        assertEquals("192.0.2.1", t.publicAddress("clientB"));
        assertEquals("10.0.0.254/8", t.host("natA").iface(Topology.LAN).cidr());
        assertTrue(t.host("natA").nat().behaviour().hairpinning());
    }

    @Test
    void figure5() throws LabException {
        Topology t = Topology.of(Scenario.FIGURE_5, LabOptions.defaults());
        assertEquals(List.of("natX", "natA", "natB"), t.nats());
        assertEquals("192.168.1.1", t.host("natA").mainAddress());
        assertEquals("192.168.1.2", t.host("natB").mainAddress());
        assertEquals("192.0.2.1", t.publicAddress("clientA"));
        assertEquals("192.0.2.1", t.publicAddress("clientB"));
        assertEquals("192.0.2.1", t.publicAddress("natA"));
        assertTrue(t.host("natX").nat().behaviour().hairpinning());
        assertFalse(t.host("natA").nat().behaviour().hairpinning());
        assertEquals(List.of("inet", "isp", "lanA", "lanB"), List.copyOf(t.segments()));
    }

    @Test
    void figure1HasTwoSymmetricNats() throws LabException {
        Topology t = Topology.of(Scenario.FIGURE_1, LabOptions.defaults());
        assertEquals(List.of("server", "natA", "natB", "clientA", "clientB"), List.copyOf(t.hosts().keySet()));
        assertEquals("192.0.2.254", t.publicAddress("clientB"));
        assertEquals(LabNat.symmetricRandom(), t.host("natA").nat().behaviour());
        assertEquals(LabNat.symmetricRandom(), t.host("natB").nat().behaviour());
    }

    @Test
    void figure2HasOnePublicClient() throws LabException {
        Topology t = Topology.of(Scenario.FIGURE_2, LabOptions.defaults());
        assertEquals(List.of("server", "natA", "clientA", "clientB"), List.copyOf(t.hosts().keySet()));
        assertEquals(List.of("natA"), t.nats());
        assertEquals("192.0.2.77", t.host("clientB").mainAddress());
        assertEquals("192.0.2.77", t.publicAddress("clientB"));
        assertEquals("192.0.2.1", t.publicAddress("clientA"));
        assertTrue(t.host("clientB").isPublicEndHost());
        assertFalse(t.host("clientA").isPublicEndHost());
        assertEquals(LabNat.homeRouter(false), t.host("natA").nat().behaviour());
    }

    @Test
    void theServerHasASecondAddressInEveryScenario() throws LabException {
        for (Scenario s : Scenario.values()) {
            Topology t = Topology.of(s, LabOptions.defaults());
            assertEquals(List.of("192.0.2.128", "192.0.2.129"), t.host("server").addresses(), s.title());
        }
        assertEquals(List.of("192.0.2.1", "10.0.0.254"), Topology.of(Scenario.FIGURE_3, LabOptions.defaults())
                .host("natA").addresses());
    }

    @Test
    void optionsChangeOneNat() throws LabException {
        Topology t = Topology.of(Scenario.FIGURE_5, LabOptions.defaults().withHairpinning("natX", false)
                .withHairpinning("natA", true));
        assertFalse(t.host("natX").nat().behaviour().hairpinning());
        assertTrue(t.host("natA").nat().behaviour().hairpinning());
        assertEquals(LabNat.Mapping.ENDPOINT_INDEPENDENT, t.host("natX").nat().behaviour().mapping());
    }

    @Test
    void anImpostorJoinsTheClientsLanAndTheClientReachesItOnLink() throws LabException {
        Topology plain = Topology.of(Scenario.FIGURE_3, LabOptions.defaults());
        assertTrue(plain.hosts().values().stream().allMatch(h -> h.onLink().isEmpty()), "nothing changes unless asked");

        Topology t = Topology.of(Scenario.FIGURE_3, LabOptions.defaults().withImpostor("clientA", "10.1.1.3"));
        assertEquals(List.of("server", "natA", "natB", "clientA", "clientB", "impostor"), List.copyOf(t.hosts().keySet()));
        Topology.Host impostor = t.host(LabOptions.IMPOSTOR);
        assertEquals("10.1.1.3", impostor.mainAddress());
        assertEquals("lanA", impostor.ifaces().get(0).segment());
        assertEquals(List.of("10.0.0.1/32"), impostor.onLink());
        assertEquals(null, impostor.gateway());
        assertEquals(List.of("10.1.1.3/32"), t.host("clientA").onLink());
        assertEquals("10.0.0.254", t.host("clientA").gateway());
        assertEquals(List.of(), t.host("clientB").onLink());

        assertThrows(LabException.class, () -> Topology.of(Scenario.FIGURE_3,
                LabOptions.defaults().withImpostor("natA", "10.1.1.3")), "a NAT has no client LAN");
        assertThrows(LabException.class, () -> Topology.of(Scenario.FIGURE_2,
                LabOptions.defaults().withImpostor("clientB", "10.0.0.1")), "figure 2's B is behind no NAT");
        assertThrows(LabException.class, () -> Topology.of(Scenario.FIGURE_3,
                LabOptions.defaults().withImpostor("clientA", "10.0.0.1")), "the client's own address");
        assertThrows(IllegalArgumentException.class, () -> LabOptions.defaults().withImpostor("clientA", "bob"));
    }

    @Test
    void unknownHostsAndNatsAreRejected() {
        assertThrows(LabException.class, () -> Topology.of(Scenario.FIGURE_3, LabOptions.defaults().withHairpinning("natX", true)));
        assertThrows(LabException.class, () -> Topology.of(Scenario.FIGURE_4, LabOptions.defaults().withHairpinning("clientA", true)));
        assertThrows(IllegalArgumentException.class,
                () -> Topology.of(Scenario.FIGURE_4, LabOptions.defaults()).host("natB"));
    }

    @Test
    void switchPortNamesFitLinuxInterfaceNames() throws LabException {
        for (Scenario s : Scenario.values()) {
            for (Topology.Host h : Topology.of(s, LabOptions.defaults()).hosts().values()) {
                for (Topology.Iface i : h.ifaces()) {
                    assertTrue((h.name() + "-" + i.name()).length() <= 15, h.name() + "-" + i.name());
                    assertTrue(("br-" + i.segment()).length() <= 15, i.segment());
                }
            }
        }
    }
}
