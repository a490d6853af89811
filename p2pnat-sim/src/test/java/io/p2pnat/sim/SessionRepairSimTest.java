package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.peer.Via;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Sessions that outlive their paths (issue 19), through the simulator's NAT models: the faults
 * of p2pnat-core's {@code SessionRepairTest} (a NAT reboot on either side or both, the relay's
 * server restarting, the server gone) with RFC 4787 NATs in RFC 5128 figure 3's topology. The
 * dialer sends a numbered message every 50 ms and the listener echoes each at once.
 */
class SessionRepairSimTest {
    private static final long TICK = Duration.ofMillis(50).toNanos();
    private static final PairRun.Latencies LAT = PairRun.Latencies.uniform(10);
    /** The peers' round trip on the direct path: four links of 10 ms each way. */
    private static final long RTT = Duration.ofMillis(80).toNanos();
    private static final long SECOND = 1_000_000_000L;

    /** A connected pair echoing numbered messages; the echoes' numbers and arrival times. */
    private static final class Echo {
        final PairRun.Result r;
        final SimNet net;
        final long session;
        final List<long[]> echoed = new ArrayList<>();
        int next;

        Echo(PairRun.Result r) {
            assertTrue(r.connected(), r.describe());
            this.r = r;
            this.net = r.net();
            this.session = ((PeerEvent.Connected) r.dialer().first(PeerEvent.Connected.class).event()).info().sessionId();
            r.listener().onEvent((h, t) -> {
                if (t.event() instanceof PeerEvent.Data d) {
                    net.at(net.now(), () -> h.send(d.sessionId(), d.payload()));
                }
            });
            r.dialer().onEvent((h, t) -> {
                if (t.event() instanceof PeerEvent.Data d) {
                    echoed.add(new long[] {ByteBuffer.wrap(d.payload()).getInt(), t.at()});
                }
            });
            tick();
        }

        private void tick() {
            r.dialer().send(session, ByteBuffer.allocate(4).putInt(next++).array());
            net.schedule(Duration.ofNanos(TICK), this::tick);
        }

        long longestGap() {
            long gap = 0;
            for (int i = 1; i < echoed.size(); i++) {
                gap = Math.max(gap, echoed.get(i)[1] - echoed.get(i - 1)[1]);
            }
            return gap;
        }

        long echoedAfter(long t) {
            return echoed.stream().filter(e -> e[1] > t).count();
        }
    }

    private static Echo echoing(long seed, SimNatType a, SimNatType b) {
        Echo e = new Echo(PairRun.run(new SimNet(seed), a.config, b.config, LAT));
        e.net.runFor(Duration.ofSeconds(2));
        return e;
    }

    private static Nat nat(PeerHost p) {
        return p.realm.nat;
    }

    @Test
    void aRebootOfTheDialersNatIsRepairedWithinASecondPlusARoundTrip() {
        Echo e = echoing(61, SimNatType.EIM_APDF, SimNatType.EIM_APDF);
        int before = nat(e.r.dialer()).model().portsOf(SimNet.ep("10.0.0.1:1234")).iterator().next();
        long rebootAt = e.net.now();
        nat(e.r.dialer()).reboot();
        e.net.runFor(Duration.ofSeconds(3));

        PeerEvent.PathLost lost = only(e.r.dialer(), PeerEvent.PathLost.class);
        assertTrue(lost.reason().startsWith("no answer on"), lost.reason());
        PeerEvent.PathRepaired repaired = only(e.r.dialer(), PeerEvent.PathRepaired.class);
        assertTrue(e.r.dialer().first(PeerEvent.PathLost.class).at() < e.r.dialer().first(PeerEvent.PathRepaired.class).at());
        assertEquals(Via.PUBLIC, currentVia(e.r.dialer()), "direct again: both NATs map independently of the destination");
        assertTrue(repaired.outageNanos() < SECOND + RTT, "outage " + repaired.outageNanos() / 1_000_000 + " ms");
        int after = nat(e.r.dialer()).model().portsOf(SimNet.ep("10.0.0.1:1234")).iterator().next();
        assertNotEquals(before, after, "the rebooted NAT maps the peer to another public port");
        assertOutageUnderASecond(e, rebootAt);
        assertFalse(e.r.dialer().has(PeerEvent.Closed.class));
        assertFalse(e.r.listener().has(PeerEvent.Closed.class));
    }

    @Test
    void aRebootOfTheListenersNatIsRepairedAndTheListenerIsTold() {
        Echo e = echoing(62, SimNatType.EIM_APDF, SimNatType.EIM_APDF);
        long rebootAt = e.net.now();
        nat(e.r.listener()).reboot();
        e.net.runFor(Duration.ofSeconds(3));

        assertLostThenRepaired(e.r.listener());
        assertLostThenRepaired(e.r.dialer());
        assertOutageUnderASecond(e, rebootAt);
    }

    @Test
    void bothNatsRebootingAtOnceAreRepaired() {
        Echo e = echoing(63, SimNatType.EIM_APDF, SimNatType.EIM_APDF);
        long rebootAt = e.net.now();
        nat(e.r.dialer()).reboot();
        nat(e.r.listener()).reboot();
        e.net.runFor(Duration.ofSeconds(3));

        assertLostThenRepaired(e.r.dialer());
        assertLostThenRepaired(e.r.listener());
        assertEquals(Via.PUBLIC, currentVia(e.r.dialer()));
        assertOutageUnderASecond(e, rebootAt);
    }

    @Test
    void aRelayedSessionBehindRandomNatsSurvivesTheServersRestart() {
        Echo e = echoing(64, SimNatType.APDM_RANDOM, SimNatType.APDM_RANDOM);
        assertEquals(Via.RELAY, ((PeerEvent.Connected) e.r.dialer().first(PeerEvent.Connected.class).event()).info().via());
        ServerHost server = (ServerHost) e.net.hosts().get(0);
        long restartAt = e.net.now();
        server.restart();
        e.net.runFor(Duration.ofSeconds(5));

        assertLostThenRepaired(e.r.dialer());
        PeerEvent.PathRepaired repaired = only(e.r.dialer(), PeerEvent.PathRepaired.class);
        assertEquals(Via.RELAY, repaired.info().via());
        assertTrue(e.echoedAfter(restartAt + 3 * SECOND) >= 35, "relayed again after the restart");
        assertFalse(e.r.dialer().has(PeerEvent.Closed.class));
        assertFalse(e.r.listener().has(PeerEvent.Closed.class));
    }

    @Test
    void aDirectSessionGoesOnWhileTheServerIsGone() {
        Echo e = echoing(65, SimNatType.EIM_APDF, SimNatType.APDM_SEQ);
        ServerHost server = (ServerHost) e.net.hosts().get(0);
        long goneAt = e.net.now();
        server.connected(false);
        e.net.runFor(Duration.ofSeconds(40)); // past the peers' keepalives to the server

        assertFalse(e.r.dialer().has(PeerEvent.PathLost.class), "the direct path never depended on the server");
        assertFalse(e.r.listener().has(PeerEvent.PathLost.class));
        assertTrue(e.longestGap() < 2 * TICK + RTT, "gap " + e.longestGap() / 1_000_000 + " ms");
        assertTrue(e.echoedAfter(goneAt) >= 795);
        assertTrue(e.net.drops().getOrDefault("host down", 0L) > 0, "the peers' keepalives to the server were lost");
    }

    @Test
    void theSameSeedRepairsTheSameWay() {
        long[] a = rebootBoth(66);
        long[] b = rebootBoth(66);
        assertEquals(a[0], b[0], "trace hash");
        assertEquals(a[1], b[1], "outage");
    }

    private static long[] rebootBoth(long seed) {
        Echo e = echoing(seed, SimNatType.EIM_APDF, SimNatType.EIM_ADF);
        nat(e.r.dialer()).reboot();
        nat(e.r.listener()).reboot();
        e.net.runFor(Duration.ofSeconds(3));
        return new long[] {e.net.traceHash(), only(e.r.dialer(), PeerEvent.PathRepaired.class).outageNanos()};
    }

    /** The echoes stop for less than a second plus a round trip, and flow again after it. */
    private static void assertOutageUnderASecond(Echo e, long faultAt) {
        assertTrue(e.longestGap() < SECOND + RTT, "outage " + e.longestGap() / 1_000_000 + " ms");
        assertTrue(e.echoedAfter(faultAt + SECOND + RTT) >= 30, "echoes flow again after the repair: " + e.echoedAfter(faultAt));
    }

    private static void assertLostThenRepaired(PeerHost p) {
        PeerHost.Timed lost = p.first(PeerEvent.PathLost.class);
        PeerHost.Timed repaired = p.first(PeerEvent.PathRepaired.class);
        assertTrue(lost != null && repaired != null && lost.at() <= repaired.at(), p.name + ": " + p.events().stream()
                .filter(t -> t.event() instanceof PeerEvent.PathLost || t.event() instanceof PeerEvent.PathRepaired).toList());
    }

    /** The path the session is on after its last repair or change. */
    private static Via currentVia(PeerHost p) {
        Via via = null;
        for (PeerHost.Timed t : p.events()) {
            if (t.event() instanceof PeerEvent.PathRepaired r) {
                via = r.info().via();
            } else if (t.event() instanceof PeerEvent.PathChanged c) {
                via = c.info().via();
            }
        }
        return via;
    }

    private static <T extends PeerEvent> T only(PeerHost p, Class<T> type) {
        List<T> list = p.events().stream().map(PeerHost.Timed::event).filter(type::isInstance).map(type::cast).toList();
        assertEquals(1, list.size(), p.name + ": " + type.getSimpleName() + " events: " + list);
        return list.get(0);
    }
}
