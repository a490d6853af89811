package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Two birthday punches between the same two peers at once (a population run found one). The
 * easy side probes from one endpoint for both, so a probe of the second punch can land on a
 * mapping of the first punch's spray sockets. Taking that socket for the second session broke it
 * when the first session chose its own path and closed its other sockets: the second session's
 * handshake then left from a new port the other NAT does not admit, and the dial failed after
 * 10 s. A check that arrives on another session's socket is now ignored.
 */
class OverlappingBirthdayTest {
    @Test
    void twoPunchesBetweenTheSamePeersBothConnect() {
        int overlapped = 0;
        for (long seed = 1; seed <= 30; seed++) {
            boolean hardDials = seed % 2 == 1;
            SimNet net = new SimNet(seed);
            net.server("S", PairRun.SERVER, null, Link.ms(20), RendezvousConfig.defaults())
                    .alternatePort(PairRun.ALT_PORT).otherAddress(PairRun.OTHER);
            net.bindingResponder("S2", PairRun.OTHER, null, Link.ms(20));
            PeerHost hard = PairRun.peer(net, "hard", "10.0.0.1", "192.0.2.1", SimNatType.APDM_RANDOM.config, 1, 5,
                    UnaryOperator.identity());
            PeerHost easy = PairRun.peer(net, "easy", "10.1.1.3", "192.0.2.254", SimNatType.EIM_APDF.config, 1, 5,
                    UnaryOperator.identity());
            hard.start();
            easy.start();
            assertTrue(net.runUntil(() -> hard.has(PeerEvent.Registered.class) && easy.has(PeerEvent.Registered.class),
                    Duration.ofSeconds(5)));
            net.runFor(Duration.ofSeconds(1));
            PeerHost dialer = hardDials ? hard : easy;
            String target = hardDials ? "easy" : "hard";
            dialer.dial(target, PairRun.DIAL_TIMEOUT);
            net.runFor(Duration.ofMillis(150 + seed * 10)); // the second punch starts while the first sprays and probes
            dialer.dial(target, PairRun.DIAL_TIMEOUT);
            net.runFor(Duration.ofSeconds(15));
            List<PeerHost.Timed> failed = dialer.events().stream().filter(t -> t.event() instanceof PeerEvent.DialFailed).toList();
            assertEquals(List.of(), failed, "seed " + seed + (hardDials ? " (hard side dials)" : " (easy side dials)"));
            long connected = dialer.events().stream().filter(t -> t.event() instanceof PeerEvent.Connected).count();
            assertEquals(2, connected, "seed " + seed + ": both dials connect");
            if (hard.peakExtraSockets() > 256) {
                overlapped++; // both sprays were open at once
            }
        }
        assertTrue(overlapped >= 20, "the punches overlapped in most runs: " + overlapped);
    }
}
