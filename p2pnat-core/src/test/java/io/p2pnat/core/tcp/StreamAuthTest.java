package io.p2pnat.core.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.peer.Introduction;
import io.p2pnat.core.stream.StreamFramer;
import io.p2pnat.wire.StunParseException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamAuthTest {
    private static Introduction intro(String peer, boolean dialer, byte[] key) {
        return new Introduction(42, key, peer, dialer, new InetSocketAddress("192.0.2.1", 1), List.of(), null);
    }

    /** Each side sends its hello and reads the other's, then reads the answer to its own. */
    private static void helloBothWays(StreamAuth alice, StreamAuth bob) throws Exception {
        List<byte[]> toAlice = bob.onMessage(alice.hello());
        List<byte[]> toBob = alice.onMessage(bob.hello());
        for (byte[] m : toAlice) {
            alice.onMessage(m);
        }
        for (byte[] m : toBob) {
            bob.onMessage(m);
        }
    }

    @Test
    void bothSidesProveTheKeyThenTheDialerNominates() throws Exception {
        byte[] key = new byte[16];
        new Random(1).nextBytes(key);
        StreamAuth alice = new StreamAuth(intro("bob", true, key), "alice", new Random(2));
        StreamAuth bob = new StreamAuth(intro("alice", false, key), "bob", new Random(3));
        helloBothWays(alice, bob);
        assertTrue(alice.authenticated());
        assertTrue(bob.authenticated());
        assertFalse(bob.nominated());
        bob.onMessage(alice.nomination(new Random(4)));
        assertTrue(bob.nominated());
    }

    @Test
    void aHostWithoutTheKeyIsRejected() {
        byte[] key = new byte[16];
        StreamAuth alice = new StreamAuth(intro("bob", true, key), "alice", new Random(2));
        byte[] wrong = new byte[16];
        wrong[0] = 1;
        StreamAuth impostor = new StreamAuth(intro("alice", false, wrong), "bob", new Random(3));
        StunParseException e = assertThrows(StunParseException.class, () -> alice.onMessage(impostor.hello()));
        assertTrue(e.getMessage().contains("authentication"), e.getMessage());
        // Right key, wrong name.
        StreamAuth mallory = new StreamAuth(intro("alice", false, key), "mallory", new Random(3));
        assertThrows(StunParseException.class, () -> alice.onMessage(mallory.hello()));
    }

    /** A side's Noise handshake for {@link StreamAuth}: one secure channel, as the driver keeps per introduction. */
    private static final class Handshake implements StreamHandshake {
        final io.p2pnat.core.secure.SecureChannel secure;

        Handshake(boolean dialer, io.p2pnat.core.secure.Identity me, io.p2pnat.core.secure.Identity peer) {
            secure = new io.p2pnat.core.secure.SecureChannel(dialer, me, peer.publicKey(), new byte[] {0, 0, 0, 0, 0, 0, 0, 42},
                    new Random(dialer ? 7 : 8));
        }

        @Override
        public byte[] offer(Introduction intro) {
            return secure.firstMessage();
        }

        @Override
        public byte[] answer(Introduction intro, byte[] first) {
            try {
                return secure.onHandshake(first);
            } catch (io.p2pnat.core.secure.SecureChannel.SecureChannelException e) {
                return null;
            }
        }

        @Override
        public void answered(Introduction intro, byte[] answer) {
            try {
                secure.onHandshake(answer);
            } catch (io.p2pnat.core.secure.SecureChannel.SecureChannelException e) {
                // left to the stream's own handshake
            }
        }
    }

    /** Alice (dialer) and bob authenticate a stream, each with its handshake (null: a peer without it). */
    private static void exchange(Handshake a, Handshake b) throws Exception {
        byte[] key = new byte[16];
        StreamAuth alice = new StreamAuth(intro("bob", true, key), "alice", new Random(2), a);
        StreamAuth bob = new StreamAuth(intro("alice", false, key), "bob", new Random(3), b);
        helloBothWays(alice, bob);
        assertTrue(alice.authenticated() && bob.authenticated());
    }

    @Test
    void theNoiseHandshakeRidesOnTheStreamsAuthentication() throws Exception {
        io.p2pnat.core.secure.Identity alice = io.p2pnat.core.secure.Identity.insecureForTests("alice");
        io.p2pnat.core.secure.Identity bob = io.p2pnat.core.secure.Identity.insecureForTests("bob");
        Handshake a = new Handshake(true, alice, bob);
        Handshake b = new Handshake(false, bob, alice);
        exchange(a, b);
        assertTrue(a.secure.established(), "the dialer got the answer with the Binding response");
        assertTrue(b.secure.established());
        byte[] sealed = a.secure.seal("hi".getBytes());
        assertArrayEquals("hi".getBytes(), b.secure.open(sealed, 0, sealed.length), "one channel, both ways");

        // A listener that does not know the attribute: nothing rides, the stream's handshake follows.
        Handshake a2 = new Handshake(true, alice, bob);
        exchange(a2, null);
        assertFalse(a2.secure.established());
        // An impostor (another identity key) answers nothing: the stream's handshake refuses it later.
        Handshake a3 = new Handshake(true, alice, bob);
        Handshake mallory = new Handshake(false, io.p2pnat.core.secure.Identity.insecureForTests("mallory"), alice);
        exchange(a3, mallory);
        assertFalse(a3.secure.established());
        assertFalse(mallory.secure.established());
    }

    @Test
    void streamDecoderSplitsMessagesAndKeepsTheRest() throws Exception {
        byte[] key = new byte[16];
        StreamAuth a = new StreamAuth(intro("bob", true, key), "alice", new Random(2));
        byte[] hello = a.hello();
        StreamFramer d = new StreamFramer(StreamFramer.Mode.STUN);
        byte[] stream = new byte[hello.length * 2 + 3];
        System.arraycopy(hello, 0, stream, 0, hello.length);
        System.arraycopy(hello, 0, stream, hello.length, hello.length);
        stream[stream.length - 3] = 'a';
        stream[stream.length - 2] = 'p';
        stream[stream.length - 1] = 'p';
        d.feed(stream, 0, 5);
        assertNull(d.next());
        d.feed(stream, 5, stream.length - 5);
        assertArrayEquals(hello, d.next());
        assertArrayEquals(hello, d.next());
        assertEquals("app", new String(d.drainRemainder()));
        d.feed(new byte[] {(byte) 0xD0, 0, 0, 0}, 0, 4);
        assertThrows(StreamFramer.StreamFormatException.class, d::next);
    }
}
