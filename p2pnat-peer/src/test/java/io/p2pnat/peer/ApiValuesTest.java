package io.p2pnat.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.discovery.NatCheckResult;
import io.p2pnat.core.discovery.PortAllocation;
import io.p2pnat.core.secure.Identity;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The API's value types mirror the core's exactly: same constants, same JSON names, same fields. */
class ApiValuesTest {
    @Test
    void everyCoreTechniqueAndViaHasItsApiTwinWithTheSameWireName() {
        for (io.p2pnat.core.peer.Technique t : io.p2pnat.core.peer.Technique.values()) {
            assertEquals(t.wireName(), Twins.twin(Technique.class, t).wireName());
        }
        for (io.p2pnat.core.peer.Via v : io.p2pnat.core.peer.Via.values()) {
            assertEquals(v.wireName(), Twins.twin(Via.class, v).wireName());
        }
        assertEquals(io.p2pnat.core.peer.Technique.values().length, Technique.values().length);
        assertEquals(io.p2pnat.core.peer.Via.values().length, Via.values().length);
    }

    @Test
    void connectionInfoCarriesEveryFieldAndThePath() {
        InetSocketAddress l = new InetSocketAddress("127.0.0.1", 1);
        InetSocketAddress r = new InetSocketAddress("127.0.0.1", 2);
        var core = new io.p2pnat.core.peer.ConnectionInfo(7, "bob", true, "udp", io.p2pnat.core.peer.Technique.RELAY,
                io.p2pnat.core.peer.Via.RELAY, l, r, null, 1_500_000, -1, "ab-cd");
        ConnectionInfo api = ConnectionInfo.of(core);
        assertEquals(new ConnectionInfo(7, "bob", true, "udp", Technique.RELAY, Via.RELAY, l, r, null, 1_500_000, -1, "ab-cd"), api);
        assertEquals(core.path(), api.path());
        assertEquals("direct", ConnectionInfo.of(new io.p2pnat.core.peer.ConnectionInfo(7, "bob", false, "tcp",
                io.p2pnat.core.peer.Technique.TCP_HOLE_PUNCH, io.p2pnat.core.peer.Via.PUBLIC, l, r, l, 1, 1)).path());
    }

    @Test
    void everyNatCheckValueHasItsApiTwinWithTheSameWireName() {
        assertTwins(MappingBehaviour.values(), MappingBehaviour::wireName, NatReport.Mapping.class, NatReport.Mapping::wireName);
        assertTwins(FilteringBehaviour.values(), FilteringBehaviour::wireName, NatReport.Filtering.class,
                NatReport.Filtering::wireName);
        assertTwins(PortAllocation.values(), PortAllocation::wireName, NatReport.PortAllocation.class,
                NatReport.PortAllocation::wireName);
        assertTwins(NatCheckResult.TcpUnsolicited.values(), NatCheckResult.TcpUnsolicited::wireName,
                NatReport.TcpUnsolicited.class, NatReport.TcpUnsolicited::wireName);
        assertTwins(NatCheckResult.HolePunching.values(), NatCheckResult.HolePunching::wireName,
                NatReport.HolePunching.class, NatReport.HolePunching::wireName);
    }

    private static <C extends Enum<C>, A extends Enum<A>> void assertTwins(C[] core, Function<C, String> coreWire,
                                                                           Class<A> api, Function<A, String> apiWire) {
        assertEquals(core.length, api.getEnumConstants().length);
        for (C c : core) {
            assertEquals(coreWire.apply(c), apiWire.apply(Twins.twin(api, c)));
        }
    }

    @Test
    void natReportCarriesEveryField() {
        InetSocketAddress s = new InetSocketAddress("192.0.2.1", 3478);
        InetSocketAddress o = new InetSocketAddress("192.0.2.2", 3479);
        InetSocketAddress l = new InetSocketAddress("10.0.0.2", 5000);
        InetSocketAddress p = new InetSocketAddress("198.51.100.7", 6000);
        NatReport r = NatReport.of(new NatCheckResult(s, o, l, p, true,
                MappingBehaviour.ADDRESS_AND_PORT_DEPENDENT,
                FilteringBehaviour.ADDRESS_DEPENDENT, false,
                PortAllocation.SEQUENTIAL, 2, List.of(6000, 6002), NatCheckResult.TcpUnsolicited.RST,
                p, NatCheckResult.HolePunching.PORT_PREDICTION, List.of("tcp"), List.of("a note"), 1_234_000_000L, null));
        assertEquals(new NatReport(s, o, l, p, true, NatReport.Mapping.ADDRESS_AND_PORT_DEPENDENT,
                NatReport.Filtering.ADDRESS_DEPENDENT, false, NatReport.PortAllocation.SEQUENTIAL, 2, List.of(6000, 6002),
                NatReport.TcpUnsolicited.RST, p, NatReport.HolePunching.PORT_PREDICTION, List.of("tcp"), List.of("a note"),
                1_234_000_000L, null), r);
        assertTrue(r.ok());
        NatReport failed = NatReport.of(new NatCheckResult(s, null, l, null, false,
                MappingBehaviour.UNKNOWN, FilteringBehaviour.UNKNOWN, null,
                PortAllocation.UNKNOWN, null, List.of(), null, null,
                NatCheckResult.HolePunching.UNKNOWN, List.of(), List.of(), 5, "no answer"));
        assertFalse(failed.ok());
        assertNull(failed.tcpUnsolicited());
        assertEquals("no answer", failed.error());
    }

    @Test
    void anIdentityKeyShowsItsFingerprintNeverItsPrivateKey() {
        Identity core = Identity.generate();
        IdentityKey key = IdentityKey.of(core);
        assertEquals(core.fingerprint(), key.fingerprint());
        assertEquals(key.fingerprint(), IdentityKey.fingerprint(key.publicKey()));
        assertArrayEquals(core.publicKey(), key.publicKey());
        assertFalse(key.toString().contains(HexFormat.of().formatHex(core.privateKey())), key.toString());
    }
}
