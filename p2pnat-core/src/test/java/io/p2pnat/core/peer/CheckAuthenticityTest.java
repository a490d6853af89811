package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * RFC 5128 §6.1: a check counts only if it carries the introduction's MAC and names the
 * introduced peer. A punch remembers the last authentic check's bytes (a birthday spray repeats
 * them hundreds of times); that shortcut must never accept bytes that differ.
 */
class CheckAuthenticityTest {
    private static final byte[] KEY = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static Introduction intro(byte[] key) {
        return new Introduction(7, key, "bob", false, new InetSocketAddress("192.0.2.254", 1234), List.of(), null);
    }

    private static HolePunch punch() {
        return new HolePunch(intro(KEY), "alice", List.of(), new Random(1), 0, 1_000_000_000L);
    }

    @Test
    void repeatedAuthenticBytesPassAndAnyChangeIsChecked() throws Exception {
        HolePunch p = punch();
        byte[] check = Checks.request(intro(KEY), "bob", TransactionId.random(new Random(2)), false, true);
        assertTrue(p.authentic(StunMessage.decode(check)));
        assertTrue(p.authentic(StunMessage.decode(check.clone())), "the same bytes again (a spray)");

        byte[] forged = Checks.request(intro("fedcba9876543210".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), "bob",
                TransactionId.random(new Random(2)), false, true);
        assertFalse(p.authentic(StunMessage.decode(forged)), "same peer name, another key");

        byte[] otherName = Checks.request(intro(KEY), "mallory", TransactionId.random(new Random(2)), false, true);
        assertFalse(p.authentic(StunMessage.decode(otherName)), "the key, but not the introduced peer's name");

        byte[] plain = unfingerprinted(KEY, "bob", 3); // no FINGERPRINT, so a change reaches the MAC check
        assertTrue(p.authentic(StunMessage.decode(plain)));
        byte[] tampered = plain.clone();
        tampered[12] ^= 1; // in the transaction id, under the MAC
        assertFalse(p.authentic(StunMessage.decode(tampered)), "one bit changed after a cached success");
        assertTrue(p.authentic(StunMessage.decode(plain)), "the original still passes");
        assertTrue(p.authentic(StunMessage.decode(check)));
    }

    private static byte[] unfingerprinted(byte[] key, String sender, long seed) {
        return StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(new Random(seed)))
                .addString(StunAttributeType.USERNAME, intro(key).introIdHex() + ":" + sender)
                .build().encode(key, false);
    }
}
