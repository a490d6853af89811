package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabOptions;
import io.p2pnat.lab.NatBehaviour;
import io.p2pnat.lab.Scenario;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Port prediction (RFC 5128 §3.5) and birthday punching through real nftables NATs that map
 * per destination, in figure 3's topology.
 */
class LabTechniquesTest {
    @BeforeAll
    static void cleanup() {
        Lab.cleanupStale();
    }

    @BeforeEach
    void gate() {
        LabGate.require();
    }

    private static LabRun.Outcome dial(NatBehaviour a, NatBehaviour b) throws Exception {
        LabOptions o = LabOptions.defaults().withNatBehaviour("natA", a).withNatBehaviour("natB", b);
        try (Lab lab = Lab.create(Scenario.FIGURE_3, o)) {
            return LabRun.run(lab, LabRun.Plan.of(20, 64).timeout(8));
        }
    }

    @Test
    void sequentialNatIsPredicted() throws Exception {
        LabRun.Outcome o = dial(NatBehaviour.symmetricSequential(1), NatBehaviour.homeRouter(false));
        String log = o.log() + "\ncounters " + o.counterDeltas();
        assertTrue(o.connected(), log);
        assertEquals("udp-port-prediction", o.text("technique"), log);
        assertEquals("direct", o.text("path"), log);
        assertEquals("20", o.text("echoed"), log);
        System.out.printf("lab prediction (APDM seq vs EIM): setup %s ms%n", o.text("setupMs"));
    }

    @Test
    void bothSequentialNatsArePredicted() throws Exception {
        LabRun.Outcome o = dial(NatBehaviour.symmetricSequential(1), NatBehaviour.symmetricSequential(1));
        String log = o.log() + "\ncounters " + o.counterDeltas();
        assertTrue(o.connected(), log);
        assertEquals("udp-port-prediction", o.text("technique"), log);
        assertEquals("direct", o.text("path"), log);
        System.out.printf("lab prediction (APDM seq vs APDM seq): setup %s ms%n", o.text("setupMs"));
    }

    @Test
    void randomSymmetricNatFacingAnEasyOneIsBirthdayPunched() throws Exception {
        LabRun.Outcome o = dial(NatBehaviour.symmetricRandom(), NatBehaviour.homeRouter(false));
        String log = o.log() + "\ncounters " + o.counterDeltas();
        assertTrue(o.connected(), log);
        assertEquals("birthday-punch", o.text("technique"), log);
        assertEquals("direct", o.text("path"), log);
        Map<String, Object> l = o.listen();
        assertEquals("birthday-punch", l.get("technique"), log);
        System.out.printf("lab birthday (APDM random vs EIM): setup %s ms%n", o.text("setupMs"));
    }
}
