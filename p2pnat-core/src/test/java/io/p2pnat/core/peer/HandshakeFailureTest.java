package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.testnet.TestNet;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A dial whose path was chosen but whose secure handshake never completes names the right cause:
 * a peer that answers checks on the path but not the handshake does not hold the identity key the
 * server vouched for (RFC 5128 §6.3); a path that stops answering after it was chosen means the
 * peer or its mapping is gone, which is no key problem.
 */
class HandshakeFailureTest {
    private static PeerEvent.DialFailed dialFailed(Figures.Net f) {
        assertTrue(f.net().runUntil(() -> f.a().has(PeerEvent.DialFailed.class), Duration.ofSeconds(20)),
                () -> "expected the dial to fail, got " + f.a().events());
        assertFalse(f.a().has(PeerEvent.Connected.class), "connected without a handshake");
        return (PeerEvent.DialFailed) f.a().first(PeerEvent.DialFailed.class).event();
    }

    @Test
    void aPeerThatAnswersChecksButNotTheHandshakeIsAKeyMismatch() {
        Figures.Net f = Figures.figure3(11).registered();
        // B holds another identity key than the one the server vouched for: it answers checks (it
        // has the introduction key), but Noise fails for it, whether the first message rides on
        // the checks or comes on the chosen path.
        f.b().agent.impersonateForTests(io.p2pnat.core.secure.Identity.insecureForTests("mallory"));
        long dialId = f.dial();
        PeerEvent.DialFailed e = dialFailed(f);
        assertEquals(dialId, e.dialId());
        assertEquals(PeerEvent.FailureKind.KEY_MISMATCH, e.kind(), e.reason());
        assertTrue(e.reason().contains("'bob' answers checks on 192.0.2.254:1234"), e.reason());
        assertTrue(e.reason().contains("identity key"), e.reason());
    }

    @Test
    void aPathThatDiesAfterItWasChosenIsUnreachableNotAKeyMismatch() {
        Figures.Net f = Figures.figure3(12).registered();
        // B cannot answer the first message that rides on the checks (another identity key), so A
        // starts the handshake on the chosen path; that moment B and everything between them falls
        // silent (B's host is gone); A still reaches the server. Silence, not a refusal: no key
        // mismatch.
        f.b().agent.impersonateForTests(io.p2pnat.core.secure.Identity.insecureForTests("mallory"));
        boolean[] dead = {false};
        f.net().loseIf(p -> {
            if (p.sender() == f.a() && p.data().length > 0 && p.data()[0] == Signaling.HANDSHAKE_FRAME) {
                dead[0] = true;
            }
            return dead[0] && (p.sender() == f.b() || p.sender() == f.a() && !p.to().equals(Figures.SERVER));
        });
        long dialId = f.dial();
        PeerEvent.DialFailed e = dialFailed(f);
        assertTrue(dead[0], "the handshake never started");
        assertEquals(dialId, e.dialId());
        assertEquals(PeerEvent.FailureKind.PEER_UNREACHABLE, e.kind(), e.reason());
        assertTrue(e.reason().contains("'bob' stopped answering on 192.0.2.254:1234"), e.reason());
        assertFalse(e.reason().contains("identity key"), e.reason());
    }

    @Test
    void aHandshakeThatSucceedsSendsNoLivenessChecks() {
        Figures.Net f = Figures.figure3(13).registered();
        f.dial();
        f.connectedA();
        long checksAfterHandshake = f.net().sent().stream()
                .filter(p -> p.sender() == f.a() && p.data().length >= 20 && p.data()[0] == 0 && p.data()[1] == 1)
                .filter(p -> p.at() > f.a().first(PeerEvent.Connected.class).at())
                .count();
        assertEquals(0, checksAfterHandshake, "a check after the handshake completed at once");
    }
}
