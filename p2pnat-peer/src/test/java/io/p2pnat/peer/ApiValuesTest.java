package io.p2pnat.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.p2pnat.core.secure.Identity;
import java.net.InetSocketAddress;
import java.util.HexFormat;
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
    void anIdentityKeyShowsItsFingerprintNeverItsPrivateKey() {
        Identity core = Identity.generate();
        IdentityKey key = IdentityKey.of(core);
        assertEquals(core.fingerprint(), key.fingerprint());
        assertEquals(key.fingerprint(), IdentityKey.fingerprint(key.publicKey()));
        assertArrayEquals(core.publicKey(), key.publicKey());
        assertFalse(key.toString().contains(HexFormat.of().formatHex(core.privateKey())), key.toString());
    }
}
