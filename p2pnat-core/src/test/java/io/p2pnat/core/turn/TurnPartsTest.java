package io.p2pnat.core.turn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Credentials, nonces, the port pool, ChannelData framing, demultiplexing, config validation. */
class TurnPartsTest {
    @Test
    void usersFileFormat() {
        TurnUsers u = TurnUsers.parse(List.of("# comment", "", "  alice:pa:ss  ", "bob:x"), "p2pnat");
        assertEquals(2, u.size());
        assertArrayEquals(StunMessage.longTermKey("alice", "p2pnat", "pa:ss"), u.lookup("alice", "p2pnat", 0).key());
        assertEquals("alice", u.lookup("alice", "p2pnat", 0).quotaKey());
        assertNull(u.lookup("alice", "other-realm", 0));
        assertNull(u.lookup("carol", "p2pnat", 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TurnUsers.parse(List.of("alice"), "r"));
        assertTrue(e.getMessage().contains("line 1"));
        assertThrows(IllegalArgumentException.class, () -> TurnUsers.parse(List.of(":pw"), "r"));
        assertThrows(IllegalArgumentException.class, () -> TurnUsers.parse(List.of("a:"), "r"));
        e = assertThrows(IllegalArgumentException.class, () -> TurnUsers.parse(List.of("a:1", "a:2"), "r"));
        assertTrue(e.getMessage().contains("line 2"));
    }

    @Test
    void restApiPasswordIsBase64OfHmacSha1OfTheUsername() {
        // python3: base64.b64encode(hmac.new(b"north-secret", b"1700003600:alice", hashlib.sha1).digest())
        TurnRestCredentials rest = new TurnRestCredentials("north-secret");
        assertEquals("Ji4axghh2/aljHmsPgH9mtDGVLw=", rest.password("1700003600:alice"));
        assertEquals("1700003600:alice", TurnRestCredentials.username(1_700_003_600L, "alice"));
        assertEquals("1700003600", TurnRestCredentials.username(1_700_003_600L, null));
        TurnCredential c = rest.lookup("1700003600:alice", "p2pnat", 1_700_003_600L);
        assertArrayEquals(StunMessage.longTermKey("1700003600:alice", "p2pnat", "Ji4axghh2/aljHmsPgH9mtDGVLw="), c.key());
        assertEquals("alice", c.quotaKey());
        assertEquals("1700003600", rest.lookup("1700003600", "p2pnat", 0).quotaKey());
        assertNull(rest.lookup("1700003600:alice", "p2pnat", 1_700_003_601L), "expired");
        assertNull(rest.lookup("alice", "p2pnat", 0), "no timestamp");
        assertNull(rest.lookup("99999999999999999999:x", "p2pnat", 0), "absurd timestamp");
        assertThrows(IllegalArgumentException.class, () -> new TurnRestCredentials(""));
    }

    @Test
    void credentialSourcesCompose() {
        TurnCredentials both = TurnCredentials.of(TurnUsers.parse(List.of("alice:pw"), "r"), new TurnRestCredentials("s"));
        assertEquals("alice", both.lookup("alice", "r", 0).quotaKey());
        assertEquals("bob", both.lookup("100:bob", "r", 0).quotaKey());
        assertNull(TurnCredentials.none().lookup("alice", "r", 0));
    }

    @Test
    void noncesAreShortBoundToTheAddressAndExpire() {
        Nonces n = new Nonces(new byte[32]);
        InetSocketAddress a = new InetSocketAddress(TurnHarness.ip("192.0.2.1"), 1);
        InetSocketAddress b = new InetSocketAddress(TurnHarness.ip("192.0.2.1"), 2);
        long t = 10 * Nonces.BUCKET_NANOS;
        String nonce = n.issue(a, t);
        assertEquals(8, nonce.length());
        assertTrue(n.isValid(nonce, a, t));
        assertTrue(n.isValid(nonce, a, t + Nonces.BUCKET_NANOS));
        assertFalse(n.isValid(nonce, a, t + 2 * Nonces.BUCKET_NANOS));
        assertFalse(n.isValid(nonce, b, t));
        assertFalse(n.isValid("not-a-n!", a, t));
        assertFalse(n.isValid(null, a, t));
        assertFalse(n.isValid("x".repeat(500), a, t));
    }

    @Test
    void portPoolEvenPairsAndExhaustion() {
        PortPool p = new PortPool(50000, 50003, new Random(1));
        int even = p.takeEven(true);
        assertEquals(0, even % 2);
        assertEquals(2, p.free());
        Set<Integer> rest = new HashSet<>();
        int q;
        while ((q = p.take()) >= 0) {
            rest.add(q);
        }
        assertEquals(0, p.free());
        p.release(even);
        assertEquals(even, p.take());
        p.release(12345); // not ours: ignored
        assertEquals(0, p.free());
    }

    @Test
    void channelDataFraming() {
        byte[] m = ChannelData.encode(0x4FFF, new byte[] {1, 2, 3}, 0, 3);
        assertArrayEquals(new byte[] {0x4F, (byte) 0xFF, 0, 3, 1, 2, 3}, m);
        assertEquals(0x4FFF, ChannelData.channel(m, 0, m.length));
        assertEquals(-1, ChannelData.channel(m, 0, 6), "shorter than the length field says");
        assertEquals(-1, ChannelData.channel(new byte[] {0x40, 0}, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> ChannelData.encode(0x8000, new byte[0], 0, 0));
        byte[] legacy = ChannelData.encode(0x5000, new byte[0], 0, 0);
        assertEquals(-1, ChannelData.channel(legacy, 0, legacy.length), "RFC 8656 range by default");
        assertEquals(0x5000, ChannelData.channel(legacy, 0, legacy.length, TurnLimits.CHANNEL_MAX_RFC5766));
        assertEquals(0, ChannelData.encode(0x4000, new byte[0], 0, 0)[3], "zero length is valid");
    }

    @Test
    void demultiplexing() {
        TransactionId id = TransactionId.random(new Random(3));
        for (int method : new int[] {StunMethod.ALLOCATE, StunMethod.REFRESH, StunMethod.SEND, StunMethod.DATA,
                StunMethod.CREATE_PERMISSION, StunMethod.CHANNEL_BIND}) {
            byte[] b = StunMessage.builder(method, StunClass.REQUEST, id).build().encode();
            assertTrue(TurnDemux.isTurn(b, 0, b.length), StunMethod.name(method));
        }
        for (int method : new int[] {StunMethod.BINDING, StunMethod.REGISTER, StunMethod.CONNECT, 0x005}) {
            byte[] b = StunMessage.builder(method, StunClass.REQUEST, id).build().encode();
            assertFalse(TurnDemux.isTurn(b, 0, b.length), StunMethod.name(method));
        }
        assertTrue(TurnDemux.isTurn(new byte[] {0x40, 0, 0, 0}, 0, 4));
        assertTrue(TurnDemux.isTurn(new byte[] {0x7F, 0, 0, 0}, 0, 4), "RFC 5766 channels");
        assertFalse(TurnDemux.isTurn(new byte[] {(byte) 0x80, 0, 0, 0}, 0, 4), "RTP");
        assertFalse(TurnDemux.isTurn(new byte[] {(byte) 0xD2, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 9), "native relay frame");
        assertFalse(TurnDemux.isTurn(new byte[] {0x40, 0}, 0, 2));
    }

    @Test
    void configIsValidated() {
        TurnConfig ok = TurnHarness.config();
        assertThrows(IllegalArgumentException.class, () -> ok.withPorts(80, 90));
        assertThrows(IllegalArgumentException.class, () -> ok.withPorts(60000, 50000));
        assertThrows(IllegalArgumentException.class, () -> ok.withQuotas(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ok.withMaxLifetime(java.time.Duration.ofSeconds(10)));
        assertThrows(IllegalArgumentException.class, () -> TurnConfig.defaults("has space", TurnHarness.RELAY_IP));
        assertThrows(IllegalArgumentException.class, () -> TurnConfig.defaults("r", TurnHarness.ip("0.0.0.0")));
        assertThrows(IllegalArgumentException.class, () -> ok.withAmplificationSlack(-1));
        assertNotEquals(ok, ok.withLoopbackPeers(true));
    }
}
