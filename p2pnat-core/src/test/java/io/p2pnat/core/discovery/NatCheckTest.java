package io.p2pnat.core.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.ManualClock;
import io.p2pnat.core.Timers;
import io.p2pnat.core.discovery.NatCheckResult.HolePunching;
import io.p2pnat.core.discovery.NatCheckResult.TcpUnsolicited;
import io.p2pnat.core.discovery.ToyNat.Alloc;
import io.p2pnat.core.discovery.ToyNat.Filter;
import io.p2pnat.core.discovery.ToyNat.Spec;
import io.p2pnat.wire.StunMessage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link NatCheck} against {@link BehaviorResponder} through a {@link ToyNat}, on a manual clock:
 * every behaviour the lab can build is classified as configured, in milliseconds of real time.
 */
class NatCheckTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress(ip("192.0.2.128"), 3478);
    private static final InetAddress ALT_IP = ip("192.0.2.129");
    private static final InetAddress NAT_IP = ip("192.0.2.1");
    private static final InetAddress CLIENT_IP = ip("10.0.0.1");
    private static final long HOP = 5_000_000L;

    static Stream<Arguments> behaviours() {
        return Stream.of(
                new Spec(ToyNat.Mapping.EIM, Alloc.PRESERVING, 1, Filter.APDF, false, false),
                new Spec(ToyNat.Mapping.EIM, Alloc.PRESERVING, 1, Filter.APDF, true, true),
                new Spec(ToyNat.Mapping.EIM, Alloc.PRESERVING, 1, Filter.EIF, false, false),
                new Spec(ToyNat.Mapping.EIM, Alloc.PRESERVING, 1, Filter.ADF, false, false),
                new Spec(ToyNat.Mapping.EIM, Alloc.SEQUENTIAL, 1, Filter.APDF, true, false),
                new Spec(ToyNat.Mapping.EIM, Alloc.RANDOM, 1, Filter.EIF, false, false),
                new Spec(ToyNat.Mapping.ADM, Alloc.SEQUENTIAL, 1, Filter.ADF, false, false),
                new Spec(ToyNat.Mapping.ADM, Alloc.RANDOM, 1, Filter.APDF, false, true),
                new Spec(ToyNat.Mapping.APDM, Alloc.SEQUENTIAL, 1, Filter.APDF, true, false),
                new Spec(ToyNat.Mapping.APDM, Alloc.SEQUENTIAL, 3, Filter.EIF, false, false),
                new Spec(ToyNat.Mapping.APDM, Alloc.RANDOM, 1, Filter.APDF, false, false),
                new Spec(ToyNat.Mapping.APDM, Alloc.RANDOM, 1, Filter.ADF, true, false))
                .map(s -> Arguments.of(s));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("behaviours")
    void classifiesEveryBehaviourAsConfigured(Spec spec) {
        Net net = new Net(spec, ALT_IP, 3479, false);
        NatCheckResult r = net.run(1234);
        String log = spec + " -> " + r;
        assertTrue(r.ok(), log);
        assertTrue(r.natDetected(), log);
        assertEquals(new InetSocketAddress(NAT_IP, r.publicAddress().getPort()), r.publicAddress(), log);
        assertEquals(switch (spec.mapping()) {
            case EIM -> MappingBehaviour.ENDPOINT_INDEPENDENT;
            case ADM -> MappingBehaviour.ADDRESS_DEPENDENT;
            case APDM -> MappingBehaviour.ADDRESS_AND_PORT_DEPENDENT;
        }, r.mapping(), log);
        assertEquals(switch (spec.filter()) {
            case EIF -> FilteringBehaviour.ENDPOINT_INDEPENDENT;
            case ADF -> FilteringBehaviour.ADDRESS_DEPENDENT;
            case APDF -> FilteringBehaviour.ADDRESS_AND_PORT_DEPENDENT;
        }, r.filtering(), log);
        assertEquals(spec.hairpin(), r.hairpinning(), log);
        assertEquals(switch (spec.alloc()) {
            case PRESERVING -> PortAllocation.PRESERVING;
            case SEQUENTIAL -> PortAllocation.SEQUENTIAL;
            case RANDOM -> PortAllocation.RANDOM;
        }, r.portAllocation(), log);
        assertEquals(spec.alloc() == Alloc.SEQUENTIAL ? Integer.valueOf(spec.delta()) : null, r.portDelta(), log);
        assertEquals(spec.filter() == Filter.EIF ? TcpUnsolicited.NONE : spec.tcpRst() ? TcpUnsolicited.RST
                : TcpUnsolicited.DROP, r.tcpUnsolicited(), log);
        assertEquals(spec.mapping() == ToyNat.Mapping.EIM ? HolePunching.WORKS
                : spec.alloc() == Alloc.SEQUENTIAL ? HolePunching.PORT_PREDICTION : HolePunching.UNLIKELY,
                r.holePunching(), log);
        assertEquals(List.of(), r.skipped(), log);
        assertEquals(List.of(), r.notes(), log);
        // 5 ms hops: phase 1 is 7 round trips, phase 2 waits out the silence window (700 ms) at most.
        assertTrue(r.durationNanos() < 900_000_000L, log);
    }

    @Test
    void aServerWithoutASecondAddressRunsThePortTestsAndSaysWhatIsMissing() {
        Net net = new Net(new Spec(ToyNat.Mapping.EIM, Alloc.PRESERVING, 1, Filter.APDF, false, false), null, 3479, false);
        NatCheckResult r = net.run(1234);
        assertTrue(r.ok(), r.toString());
        assertNull(r.otherAddress());
        assertEquals(MappingBehaviour.UNKNOWN, r.mapping(), "EIM and ADM look alike without a second address");
        assertEquals(FilteringBehaviour.ADDRESS_AND_PORT_DEPENDENT, r.filtering(), "the port test alone proves APDF");
        assertEquals(List.of("mapping-ip", "filtering-ip", "tcp"), r.skipped());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("second server address")), r.notes().toString());

        NatCheckResult sym = new Net(new Spec(ToyNat.Mapping.APDM, Alloc.SEQUENTIAL, 2, Filter.ADF, false, false), null, 3479,
                false).run(1234);
        assertEquals(MappingBehaviour.ADDRESS_AND_PORT_DEPENDENT, sym.mapping(), "a new port toward the other port proves APDM");
        assertEquals(FilteringBehaviour.UNKNOWN, sym.filtering(), "EIF and ADF look alike without a second address");
        assertEquals(PortAllocation.SEQUENTIAL, sym.portAllocation());
        assertEquals(2, sym.portDelta());
        assertEquals(HolePunching.PORT_PREDICTION, sym.holePunching());
    }

    @Test
    void aSilentServerIsAnError() {
        Net net = new Net(new Spec(ToyNat.Mapping.EIM, Alloc.PRESERVING, 1, Filter.APDF, false, false), ALT_IP, 3479, true);
        NatCheckResult r = net.run(1234);
        assertFalse(r.ok());
        assertTrue(r.error().contains("no answer from 192.0.2.128:3478"), r.error());
        assertEquals(3_000_000_000L, r.durationNanos(), "gives up after Config.giveUp");
    }

    @Test
    void aHostWithoutANatIsDirectlyReachable() {
        Net net = new Net(null, ALT_IP, 3479, false);
        NatCheckResult r = net.run(1234);
        assertFalse(r.natDetected(), r.toString());
        assertEquals(MappingBehaviour.ENDPOINT_INDEPENDENT, r.mapping());
        assertEquals(FilteringBehaviour.ENDPOINT_INDEPENDENT, r.filtering());
        assertNull(r.hairpinning());
        assertEquals(PortAllocation.PRESERVING, r.portAllocation());
        assertEquals(TcpUnsolicited.NONE, r.tcpUnsolicited());
        assertEquals(HolePunching.NOT_NEEDED, r.holePunching());
    }

    /** Client sockets, the toy NAT and the responder's four sockets, with 5 ms per hop. */
    private static final class Net {
        private final ToyNat nat;
        private final BehaviorResponder responder;
        private final boolean serverSilent;
        private final ManualClock clock = new ManualClock(1_000_000_000L);
        private final List<Object[]> inFlight = new ArrayList<>(); // {long at, Runnable}
        private NatCheck check;
        private List<InetSocketAddress> locals;

        Net(Spec spec, InetAddress altIp, int altPort, boolean serverSilent) {
            this.nat = spec == null ? null : new ToyNat(NAT_IP, spec);
            this.responder = new BehaviorResponder(SERVER, altPort, altIp);
            this.serverSilent = serverSilent;
        }

        NatCheckResult run(int mainPort) {
            locals = List.of(new InetSocketAddress(nat == null ? NAT_IP : CLIENT_IP, mainPort),
                    new InetSocketAddress(nat == null ? NAT_IP : CLIENT_IP, 5001),
                    new InetSocketAddress(nat == null ? NAT_IP : CLIENT_IP, 5002),
                    new InetSocketAddress(nat == null ? NAT_IP : CLIENT_IP, 5003));
            check = new NatCheck(SERVER, locals, new Random(1), NatCheck.Config.defaults());
            check.start(clock.nanoTime());
            for (int guard = 0; guard < 10_000 && !check.isDone(); guard++) {
                drain();
                long nextPacket = inFlight.stream().mapToLong(e -> (long) e[0]).min().orElse(Timers.NEVER);
                long next = Math.min(nextPacket, check.nextTimeout());
                if (next == Timers.NEVER) {
                    break;
                }
                clock.set(Math.max(next, clock.nanoTime()));
                List<Object[]> due = inFlight.stream().filter(e -> (long) e[0] <= clock.nanoTime()).toList();
                inFlight.removeAll(due);
                due.forEach(e -> ((Runnable) e[1]).run());
                if (check.nextTimeout() <= clock.nanoTime()) {
                    check.handleTimeout(clock.nanoTime());
                }
            }
            assertNotNull(check.result(), "the check finished");
            return check.result();
        }

        private void later(Runnable r) {
            inFlight.add(new Object[] {clock.nanoTime() + HOP, r});
        }

        private void drain() {
            NatCheck.Datagram d;
            while ((d = check.pollTransmit()) != null) {
                NatCheck.Datagram dg = d;
                InetSocketAddress from = locals.get(dg.socket());
                later(() -> fromClient(dg.socket(), from, dg.destination(), dg.payload()));
            }
            NatCheck.TcpProbe probe = check.pollTcpProbe();
            if (probe != null) {
                later(() -> tcp(probe));
            }
        }

        private void fromClient(int socket, InetSocketAddress from, InetSocketAddress to, byte[] data) {
            InetSocketAddress src = nat == null ? from : nat.out("udp", from, to);
            if (nat != null && to.getAddress().equals(NAT_IP)) {
                InetSocketAddress inside = nat.hairpin(to.getPort());
                int target = inside == null ? -1 : locals.indexOf(inside);
                if (target >= 0) {
                    later(() -> check.handleInput(clock.nanoTime(), target, src, data, 0, data.length));
                }
                return;
            }
            if (nat == null && to.getAddress().equals(NAT_IP)) {
                int target = locals.indexOf(to);
                later(() -> check.handleInput(clock.nanoTime(), target, src, data, 0, data.length));
                return;
            }
            ServerSocketRole role = null;
            for (ServerSocketRole r : ServerSocketRole.values()) {
                if (to.equals(responder.address(r))) {
                    role = r;
                }
            }
            if (role == null || serverSilent) {
                return;
            }
            BehaviorResponder.Reply reply = responder.handle(role, src, data, 0, data.length);
            if (reply == null) {
                reply = new BehaviorResponder.Reply(role, src, plainBinding(src, data));
            }
            BehaviorResponder.Reply r = reply;
            InetSocketAddress origin = responder.address(r.from());
            later(() -> toClient(origin, r.to(), r.payload()));
        }

        private void toClient(InetSocketAddress from, InetSocketAddress to, byte[] data) {
            InetSocketAddress inside = nat == null ? to : nat.in(from, to.getPort());
            int target = inside == null ? -1 : locals.indexOf(inside);
            if (target >= 0) {
                check.handleInput(clock.nanoTime(), target, from, data, 0, data.length);
            }
        }

        private void tcp(NatCheck.TcpProbe probe) {
            InetSocketAddress inside = new InetSocketAddress(CLIENT_IP, 6000);
            InetSocketAddress mapped = nat == null ? new InetSocketAddress(NAT_IP, 6000) : nat.out("tcp", inside, probe.server());
            InetSocketAddress probeFrom = new InetSocketAddress(ALT_IP, 50000);
            TcpProbeOutcome outcome = nat == null || nat.in(probeFrom, mapped.getPort()) != null ? TcpProbeOutcome.CONNECTED
                    : nat.spec().tcpRst() ? TcpProbeOutcome.RESET : TcpProbeOutcome.TIMEOUT;
            StunMessage request = BehaviorResponder.bindingRequest(probe.request(), 0, probe.request().length);
            byte[] answer = responder.tcpAnswer(ServerSocketRole.CHANGED_PORT, mapped, request, outcome, probeFrom);
            check.handleTcpAnswer(clock.nanoTime(), answer);
        }

        /** What the rendezvous service answers to a plain Binding on the primary port. */
        private static byte[] plainBinding(InetSocketAddress from, byte[] request) {
            StunMessage m = BehaviorResponder.bindingRequest(request, 0, request.length);
            return StunMessage.builder(io.p2pnat.wire.StunMethod.BINDING, io.p2pnat.wire.StunClass.SUCCESS_RESPONSE,
                    m.transactionId()).addXorAddress(io.p2pnat.wire.StunAttributeType.XOR_MAPPED_ADDRESS, from).build().encode();
        }
    }

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
