package io.p2pnat.core.peer;

import static io.p2pnat.core.testnet.TestNet.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.testnet.TestNet;
import io.p2pnat.core.testnet.TestNet.PeerNode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Sessions that outlive their paths (NAT reboots, the relay's restart, the server's loss), over
 * the deterministic {@link TestNet}: A sends a numbered message every 50 ms, B echoes each; the
 * session must notice a dead path within about three round trips, repair it, and carry every
 * message sent after the repair.
 */
class SessionRepairTest {
    private static final Duration TICK = ms(50);

    /** A dial echoing numbered messages; what came back, and when. */
    private static final class Echo {
        final Figures.Net f;
        final long sessionA;
        final long sessionB;
        final List<long[]> echoed = new ArrayList<>(); // {number, time}
        int next;
        boolean stop;
        long faultAt;

        Echo(Figures.Net f) {
            this.f = f;
            this.sessionA = ((PeerEvent.Connected) f.a().first(PeerEvent.Connected.class).event()).info().sessionId();
            this.sessionB = ((PeerEvent.Connected) f.b().first(PeerEvent.Connected.class).event()).info().sessionId();
            f.net().every(TICK, () -> {
                f.a().agent.send(f.net().now(), sessionA, ByteBuffer.allocate(4).putInt(next++).array());
                echoPending(f.b(), sessionB);
                collect();
                return !stop;
            });
        }

        private int bSeen;
        private int aSeen;

        private void echoPending(PeerNode b, long session) {
            List<PeerEvent.Data> in = b.events(PeerEvent.Data.class);
            for (; bSeen < in.size(); bSeen++) {
                b.agent.send(f.net().now(), session, in.get(bSeen).payload());
            }
        }

        private void collect() {
            List<TestNet.Timed> all = f.a().events();
            for (; aSeen < all.size(); aSeen++) {
                if (all.get(aSeen).event() instanceof PeerEvent.Data d) {
                    echoed.add(new long[] {ByteBuffer.wrap(d.payload()).getInt(), all.get(aSeen).at()});
                }
            }
        }

        /** The longest time between two echoes. */
        long longestGap() {
            long gap = 0;
            for (int i = 1; i < echoed.size(); i++) {
                gap = Math.max(gap, echoed.get(i)[1] - echoed.get(i - 1)[1]);
            }
            return gap;
        }

        /** Messages sent after {@code t} that came back. */
        long echoedAfter(long t) {
            return echoed.stream().filter(e -> e[1] > t).count();
        }
    }

    private static Figures.Net connected(Figures.Net f) {
        f.registered();
        f.dial();
        f.connectedA();
        f.connectedB();
        f.net().runFor(ms(300));
        return f;
    }

    /** Echoes for 2 s, injects {@code fault}, echoes for 3 s more; the echo's record and the fault's time. */
    private static Echo faultDuringEcho(Figures.Net f, java.util.function.Consumer<Figures.Net> fault) {
        Echo echo = new Echo(f);
        f.net().runFor(Duration.ofSeconds(2));
        echo.faultAt = f.net().now();
        fault.accept(f);
        f.net().runFor(Duration.ofSeconds(3));
        echo.stop = true;
        return echo;
    }

    private static void reboot(TestNet.Nat nat) {
        nat.replace(TestNet.Mapping.ENDPOINT_INDEPENDENT, TestNet.PortAllocation.RANDOM);
    }

    /** Every message sent a second after the fault came back, and no gap between echoes reached a second. */
    private static void assertRepairedWithinASecond(Echo echo) {
        assertTrue(echo.longestGap() < Duration.ofSeconds(1).toNanos(), "outage " + echo.longestGap() / 1_000_000 + " ms");
        assertTrue(echo.echoedAfter(echo.faultAt + Duration.ofSeconds(1).toNanos()) >= 35, "echoes flow again after the repair");
    }

    @Test
    void aRebootOfTheDialersNatIsRepairedWithinASecond() {
        Figures.Net f = connected(Figures.figure3(50));
        Echo echo = faultDuringEcho(f, n -> reboot(n.natA()));
        long rebootAt = echo.faultAt;

        PeerEvent.PathLost lost = only(f.a(), PeerEvent.PathLost.class);
        assertTrue(lost.reason().startsWith("no answer on"), lost.reason());
        only(f.a(), PeerEvent.PathRepaired.class);
        assertEquals(Via.PUBLIC, currentVia(f.a()), "direct again: both NATs map independently of the destination");
        long lostAfter = f.a().first(PeerEvent.PathLost.class).at() - rebootAt;
        assertTrue(lostAfter <= ms(50).toNanos() + PathLiveness.MIN_DEAD + ms(100).toNanos(),
                "noticed " + lostAfter / 1_000_000 + " ms after the reboot");
        assertRepairedWithinASecond(echo);
        assertFalse(f.a().has(PeerEvent.Closed.class));
        assertFalse(f.b().has(PeerEvent.Closed.class));
    }

    @Test
    void bothNatsRebootingAtOnceAreRepaired() {
        Figures.Net f = connected(Figures.figure3(51));
        Echo echo = faultDuringEcho(f, n -> {
            reboot(n.natA());
            reboot(n.natB());
        });

        assertTrue(f.a().has(PeerEvent.PathRepaired.class));
        assertTrue(f.b().has(PeerEvent.PathRepaired.class), "the echoing side noticed and repaired too");
        assertRepairedWithinASecond(echo);
    }

    @Test
    void natsRebootingAMomentApartAreRepairedWithinASecond() {
        // The second reboot lands while the first repair is under way: the listener's mapping
        // changes after it asked the server, and only asking again tells anyone.
        for (long delayMs : new long[] {150, 250, 290, 350}) {
            Figures.Net f = connected(Figures.figure3(60 + delayMs));
            Echo echo = faultDuringEcho(f, n -> {
                reboot(n.natA());
                n.net().schedule(ms(delayMs), () -> reboot(n.natB()));
            });
            assertTrue(echo.longestGap() < Duration.ofSeconds(1).toNanos(),
                    "second reboot " + delayMs + " ms after the first: outage " + echo.longestGap() / 1_000_000 + " ms");
        }
    }

    @Test
    void aRebootOfTheListenersNatIsRepairedAndTheListenerIsTold() {
        Figures.Net f = connected(Figures.figure3(52));
        Echo echo = faultDuringEcho(f, n -> reboot(n.natB()));

        assertTrue(f.b().has(PeerEvent.PathLost.class));
        assertTrue(f.b().has(PeerEvent.PathRepaired.class));
        assertRepairedWithinASecond(echo);
    }

    @Test
    void aReceiverWhoseNatRebootsNoticesWhenTheDataStops() {
        // One-way traffic: B only receives, so nothing of B's is outstanding when its NAT reboots;
        // A's repair cannot reach B (the server knows only B's old mapping) until B speaks.
        Figures.Net f = connected(Figures.figure3(56));
        long sessionA = ((PeerEvent.Connected) f.a().first(PeerEvent.Connected.class).event()).info().sessionId();
        int[] next = {0};
        f.net().every(TICK, () -> {
            f.a().agent.send(f.net().now(), sessionA, ByteBuffer.allocate(4).putInt(next[0]++).array());
            return next[0] < 100;
        });
        f.net().runFor(Duration.ofSeconds(2));
        long rebootAt = f.net().now();
        reboot(f.natB());
        f.net().runFor(Duration.ofSeconds(3));

        assertTrue(f.b().has(PeerEvent.PathLost.class), "the receiver noticed that the data stopped");
        long arrivedAfter = f.b().events(PeerEvent.Data.class).size()
                - f.b().events().stream().filter(t -> t.event() instanceof PeerEvent.Data && t.at() <= rebootAt + ms(1500).toNanos()).count();
        assertTrue(arrivedAfter >= 25, "data reaches the receiver again within 1.5 s: " + arrivedAfter + " messages after");
    }

    @Test
    void aRelayedSessionSurvivesTheServersRestart() {
        Figures.Net f = Figures.figure1(53); // both NATs random per destination: relayed
        connected(f);
        assertEquals(Via.RELAY, ((PeerEvent.Connected) f.a().first(PeerEvent.Connected.class).event()).info().via());
        Echo echo = new Echo(f);
        f.net().runFor(Duration.ofSeconds(2));
        long restartAt = f.net().now();
        f.server().restart(); // the relay's process died and came back: every registration and relay is gone
        f.net().runFor(Duration.ofSeconds(5));
        echo.stop = true;

        assertTrue(f.a().has(PeerEvent.PathLost.class));
        PeerEvent.PathRepaired repaired = only(f.a(), PeerEvent.PathRepaired.class);
        assertEquals(Via.RELAY, repaired.info().via());
        assertTrue(echo.echoedAfter(restartAt + Duration.ofSeconds(3).toNanos()) >= 35, "relayed again after the restart");
        assertFalse(f.a().has(PeerEvent.Closed.class));
    }

    @Test
    void aDirectSessionGoesOnWhileTheServerIsGone() {
        Figures.Net f = connected(Figures.figure3(54));
        Echo echo = new Echo(f);
        f.net().runFor(Duration.ofSeconds(1));
        long goneAt = f.net().now();
        f.net().loseIf(p -> p.to().equals(Figures.SERVER) || p.from().equals(Figures.SERVER));
        f.net().runFor(Duration.ofSeconds(5));
        echo.stop = true;

        assertFalse(f.a().has(PeerEvent.PathLost.class), "the direct path never depended on the server");
        assertTrue(echo.longestGap() < ms(200).toNanos());
        assertTrue(echo.echoedAfter(goneAt) >= 95);
    }

    /** The path the session is on after its last repair or change. */
    private static Via currentVia(PeerNode p) {
        Via via = null;
        for (TestNet.Timed t : p.events()) {
            if (t.event() instanceof PeerEvent.PathRepaired r) {
                via = r.info().via();
            } else if (t.event() instanceof PeerEvent.PathChanged c) {
                via = c.info().via();
            }
        }
        return via;
    }

    private static <T extends PeerEvent> T only(PeerNode p, Class<T> type) {
        List<T> list = p.events(type);
        assertEquals(1, list.size(), type.getSimpleName() + " events: " + list);
        return list.get(0);
    }
}
