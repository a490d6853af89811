package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabOptions;
import io.p2pnat.lab.Scenario;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 5128 §6.1, "private addresses alias across sites", in a real lab: figure 3 plus an impostor
 * on client A's LAN that owns client B's private address 10.1.1.3 and answers everything on port
 * 1234 ({@link ImpostorHost}: a well-formed STUN success response to every STUN datagram, an echo
 * of anything else, an echoing TCP server). A reaches 10.1.1.3 on-link, so every punch to B's
 * private endpoint lands at the impostor, which answers at once, long before B's public endpoint
 * can. Hole punching must still pick B's public endpoint, because only B can answer the
 * authenticated checks and the Noise handshake.
 */
@org.junit.jupiter.api.extension.ExtendWith(LabGate.class)
class LabImpostorTest {
    private static final int COUNT = 20;
    private static final String ALIASED = "10.1.1.3";



    @Test
    void anImpostorOwningThePeersPrivateAddressIsTriedButNeverWins() throws Exception {
        LabOptions options = LabOptions.defaults().withImpostor("clientA", ALIASED);
        try (Lab lab = Lab.create(Scenario.FIGURE_3, options)) {
            assertEquals(ALIASED, lab.address("clientB"));
            assertEquals(ALIASED, lab.address(LabOptions.IMPOSTOR));
            Process impostor = lab.start(LabOptions.IMPOSTOR,
                    LabRun.javaMain(ImpostorHost.class.getName(), String.valueOf(LabRun.CLIENT_PORT)));
            ProcessLines imp = new ProcessLines(impostor.getInputStream(), "impostor-stdout");
            ProcessLines impErr = new ProcessLines(impostor.getErrorStream(), "impostor-stderr");
            assertNotNull(imp.await("ready"::equals, 20_000), "impostor did not start: " + impErr.all());

            try (LabRun.Session session = LabRun.Session.open(lab, "clientB")) {
                assertTrue(session.registration().contains(ALIASED + ":" + LabRun.CLIENT_PORT),
                        "B registers its private endpoint, the one the impostor owns on A's LAN: "
                                + session.registration());

                int mark = imp.size();
                long nftBefore = lab.counter(LabOptions.IMPOSTOR, "udp_in");
                LabRun.Outcome udp = session.dial(LabRun.Plan.of(COUNT, 64));
                long nftIn = lab.counter(LabOptions.IMPOSTOR, "udp_in") - nftBefore;
                List<String> udpSeen = imp.from(mark);
                assertPublicNotImpostor("udp", udp, "udp-hole-punch");
                long udpProbes = udpSeen.stream().filter(l -> l.startsWith("udp 10.0.0.1:")).count();
                assertTrue(udpProbes > 0, "A tried B's private endpoint and hit the impostor: " + udpSeen + "\n" + udp.log());
                assertTrue(nftIn >= udpProbes, "the impostor's interface counted them too: " + nftIn);
                assertTrue(udpSeen.stream().anyMatch(l -> l.endsWith(" stun")),
                        "the impostor answered STUN-framed checks with success responses: " + udpSeen);

                mark = imp.size();
                LabRun.Outcome tcp = session.dial(LabRun.Plan.of(COUNT, 64).args("--transport", "tcp"));
                Thread.sleep(500); // let the impostor log its connections closing
                List<String> tcpSeen = imp.from(mark);
                assertPublicNotImpostor("tcp", tcp, "tcp-hole-punch");
                long accepts = tcpSeen.stream().filter(l -> l.startsWith("tcp accept 10.0.0.1:")).count();
                assertTrue(accepts > 0, "A's TCP punch reached the impostor and it accepted: " + tcpSeen + "\n" + tcp.log());
                System.out.printf("lab §6.1 impostor: udp %s via %s (%d datagrams to the impostor), tcp %s via %s"
                                + " (%d connections accepted by the impostor)%n", udp.text("remote"), udp.text("via"),
                        udpProbes, tcp.text("remote"), tcp.text("via"), accepts);
            }
        }
    }

    private static void assertPublicNotImpostor(String transport, LabRun.Outcome o, String technique) {
        String log = transport + "\n" + o.log();
        assertTrue(o.connected(), log);
        assertEquals(0, o.dialExit(), "every message echoed intact: " + log);
        assertEquals(transport, o.text("transport"), log);
        assertEquals(technique, o.text("technique"), log);
        assertEquals("direct", o.text("path"), log);
        assertEquals("public", o.text("via"), "B's public endpoint, not the private one the impostor owns: " + log);
        assertTrue(o.text("remote").startsWith("192.0.2.254:"), "B's public endpoint on NAT B: " + log);
        assertEquals("true", o.text("encrypted"), log);
        assertNotNull(o.text("peerKey"), log);
        assertEquals(String.valueOf(COUNT), o.text("echoed"), log);
        assertNotNull(o.listen(), "B saw the same connection: " + log);
        assertEquals("alice", o.listen().get("peer"), log);
        assertEquals(transport, o.listen().get("transport"), log);
        assertEquals("public", o.listen().get("via"), log);
    }
}
