package io.p2pnat.peer.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.secure.Identity;
import io.p2pnat.core.secure.SecureChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The secure handshake on a TCP stream (loopback) tells a peer with another identity key, which
 * refuses the handshake, from a stream that breaks or stays silent: only the first is a key
 * mismatch (the dialer reports the others as an unreachable peer).
 */
class SecureStreamTest {
    private static final byte[] PROLOGUE = {0, 0, 0, 0, 0, 0, 0, 7};
    private static final Identity ALICE = Identity.insecureForTests("alice");
    private static final Identity BOB = Identity.insecureForTests("bob");
    private static final Identity CAROL = Identity.insecureForTests("carol");

    private ServerSocketChannel listener;
    private SocketChannel dialer;
    private SocketChannel accepted;

    @BeforeEach
    void connect() throws IOException {
        listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        dialer = SocketChannel.open(listener.getLocalAddress());
        accepted = listener.accept();
    }

    @AfterEach
    void close() throws IOException {
        dialer.close();
        accepted.close();
        listener.close();
    }

    /** Alice dials, expecting Bob's key; the answering side holds {@code responder}. */
    private CompletableFuture<SecureStream> respondAs(Identity responder) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return SecureStream.establish(accepted, new SecureChannel(false, responder, ALICE.publicKey(), PROLOGUE),
                        new byte[0], 5_000);
            } catch (IOException e) {
                try {
                    accepted.close(); // as the peer does when the handshake fails
                } catch (IOException ignored) {
                    // closing anyway
                }
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    private SecureStream dial(long timeoutMs) throws IOException {
        return SecureStream.establish(dialer, new SecureChannel(true, ALICE, BOB.publicKey(), PROLOGUE), new byte[0], timeoutMs);
    }

    @Test
    void theRightKeysEstablishBothSides() throws Exception {
        CompletableFuture<SecureStream> bob = respondAs(BOB);
        assertNotNull(dial(5_000));
        assertNotNull(bob.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aPeerWithAnotherKeyRefusesTheHandshake() throws Exception {
        CompletableFuture<SecureStream> carol = respondAs(CAROL);
        IOException e = assertThrows(IOException.class, () -> dial(5_000));
        assertInstanceOf(SecureStream.HandshakeRefused.class, e, e.toString());
        assertTrue(e.getMessage().contains("identity key"), e.getMessage());
        Throwable atCarol = assertThrows(java.util.concurrent.ExecutionException.class, () -> carol.get(5, TimeUnit.SECONDS)).getCause();
        assertInstanceOf(SecureStream.HandshakeRefused.class, atCarol, "the responder sees the dialer's message fail too");
    }

    @Test
    void aSilentPeerTimesOutWithoutBlamingTheKey() {
        IOException e = assertThrows(IOException.class, () -> dial(300));
        assertFalse(e instanceof SecureStream.HandshakeRefused, e.toString());
        assertTrue(e.getMessage().contains("no answer to the secure handshake within 300 ms"), e.getMessage());
    }

    @Test
    void aStreamResetDuringTheHandshakeIsNoKeyMismatch() throws Exception {
        accepted.setOption(StandardSocketOptions.SO_LINGER, 0);
        accepted.close(); // an RST: the peer process died, or a NAT dropped the connection
        IOException e = assertThrows(IOException.class, () -> dial(5_000));
        assertFalse(e instanceof SecureStream.HandshakeRefused, e.toString());
        assertTrue(e.getMessage().contains("stream broke"), e.getMessage());
    }
}
