package io.p2pnat.core.turn;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What the sans-I/O {@link TurnService} asks its driver to do. The driver owns the sockets: the
 * server's listening socket (towards clients) and one UDP socket per allocation, the relayed
 * transport address (RFC 8656 §6), identified by its port on the configured relay address.
 */
public sealed interface TurnOutput {
    /**
     * Send {@code payload} to a client: from the server's listening socket, or when
     * {@code stream} on the client's TCP connection from {@code client} (one whole message,
     * ChannelData already padded to a multiple of four bytes as RFC 8656 §12.5 requires there).
     */
    record ToClient(InetSocketAddress client, byte[] payload, boolean stream) implements TurnOutput {
        public ToClient {
            Objects.requireNonNull(client, "client");
            Objects.requireNonNull(payload, "payload");
        }

        /** To a client over UDP. */
        public ToClient(InetSocketAddress client, byte[] payload) {
            this(client, payload, false);
        }
    }

    /** Send {@code payload} from relay port {@code relayPort} to a peer (RFC 8656 §11.2, §12.6). */
    record ToPeer(int relayPort, InetSocketAddress peer, byte[] payload) implements TurnOutput {
        public ToPeer {
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(payload, "payload");
        }
    }

    /**
     * Open a UDP socket on relay port {@code relayPort}, then report the outcome with
     * {@link TurnService#relayOpened}. The Allocate success response waits for it.
     */
    record OpenRelay(int relayPort) implements TurnOutput {
    }

    /** Close the socket of relay port {@code relayPort}: its allocation is gone. */
    record CloseRelay(int relayPort) implements TurnOutput {
    }
}
