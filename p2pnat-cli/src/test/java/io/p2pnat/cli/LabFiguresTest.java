package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabOptions;
import io.p2pnat.lab.Scenario;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The first connection end to end: a real server process and real peer processes in network
 * namespaces behind real nftables NATs, in RFC 5128's figures 3, 4 and 5.
 */
class LabFiguresTest {
    private static final int COUNT = 100;

    @BeforeAll
    static void cleanup() {
        Lab.cleanupStale();
    }

    @BeforeEach
    void gate() {
        // Per test, not in @BeforeAll: surefire reports a class aborted there as 0 tests run.
        LabGate.require();
    }

    @ParameterizedTest
    @EnumSource(Scenario.class)
    void punchesDirectPathAndEchoesPeerToPeer(Scenario scenario) throws Exception {
        try (Lab lab = Lab.create(scenario)) {
            LabRun.Outcome o = LabRun.run(lab, COUNT, 200);
            String log = scenario + "\n" + o.log() + "\ncounters " + o.counterDeltas();
            assertTrue(o.connected(), log);
            assertEquals(0, o.dialExit(), log);
            assertEquals("udp-hole-punch", o.text("technique"), log);
            assertEquals("direct", o.text("path"), log);
            assertEquals("udp", o.text("transport"), log);
            assertEquals(Demo.expectedVia(scenario), o.text("via"), log);
            assertEquals(String.valueOf(COUNT), o.text("echoed"), log);

            // The right endpoint won.
            String remote = o.text("remote");
            switch (scenario) {
                case FIGURE_3 -> assertTrue(remote.startsWith("192.0.2.254:"), "B's public endpoint: " + log);
                case FIGURE_4 -> assertEquals("10.1.1.3:1234", remote, log);
                case FIGURE_5 -> assertTrue(remote.startsWith("192.0.2.1:"), "NAT X's public endpoint: " + log);
            }
            assertEquals("10.0.0.1:1234", o.text("local"), log);

            // The listener saw the same connection.
            assertNotNull(o.listen(), log);
            assertEquals("connected", o.listen().get("event"), log);
            assertEquals("alice", o.listen().get("peer"), log);
            assertEquals("udp-hole-punch", o.listen().get("technique"), log);
            assertEquals(Demo.expectedVia(scenario), o.listen().get("via"), log);

            // The data did not pass through the server: 2 x 100 echo datagrams would show there.
            long server = o.delta("server.in") + o.delta("server.out");
            assertTrue(server < 40, "server saw " + server + " packets during the dial: " + log);
            // ... and did cross the path the JSON claims.
            switch (scenario) {
                case FIGURE_3 -> {
                    assertTrue(o.delta("natB.in") >= COUNT, "data into NAT B from NAT A: " + log);
                    assertTrue(o.delta("natA.in") >= COUNT, "echoes into NAT A from NAT B: " + log);
                }
                case FIGURE_4 -> assertTrue(o.delta("natA.in") + o.delta("natA.out") < 40,
                        "the private path stays on the LAN: " + log);
                case FIGURE_5 -> {
                    assertTrue(o.delta("natA.out") >= COUNT, "data leaves home NAT A: " + log);
                    assertTrue(o.delta("natB.in") >= COUNT, "data reaches home NAT B: " + log);
                    assertTrue(o.delta("natX.in") + o.delta("natX.out") < 40,
                            "hairpinned at NAT X, never on the Internet: " + log);
                }
            }
            System.out.printf("lab %s: %s via %s setup %s ms, rtt %s ms%n", scenario.title(), o.text("technique"),
                    o.text("via"), o.text("setupMs"), o.text("rttMs"));
        }
    }

    @Test
    void nestedNatsWithoutHairpinningCannotPunch() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_5, LabOptions.defaults().withHairpinning("natX", false))) {
            LabRun.Outcome o = LabRun.run(lab, 5, 64, 2, "--no-relay");
            String log = o.log();
            assertFalse(o.connected(), log);
            assertTrue(o.dialExit() != 0, log);
            assertTrue(o.text("error").contains("did not answer"), log);
        }
    }

    @Test
    void nestedNatsWithoutHairpinningFallBackToTheRelay() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_5, LabOptions.defaults().withHairpinning("natX", false))) {
            LabRun.Outcome o = LabRun.run(lab, 20, 64, 5);
            String log = o.log() + "\ncounters " + o.counterDeltas();
            assertTrue(o.connected(), log);
            assertEquals(0, o.dialExit(), log);
            assertEquals("relay", o.text("technique"), log);
            assertEquals("relayed", o.text("path"), log);
            assertEquals("20", o.text("echoed"), log);
            assertTrue(o.delta("server.in") >= 40, "the data went through the server: " + log);
        }
    }
}
