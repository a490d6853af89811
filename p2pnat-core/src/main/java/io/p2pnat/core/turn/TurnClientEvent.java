package io.p2pnat.core.turn;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/** What a {@link TurnClient} reports to its application. */
public sealed interface TurnClientEvent {
    /** RFC 8656 §7.3: the allocation exists; {@code relayed} is what peers send to. */
    record Allocated(InetSocketAddress relayed, InetSocketAddress mapped, long lifetimeSeconds) implements TurnClientEvent {
    }

    /** §8.3: the allocation was refreshed. */
    record Refreshed(long lifetimeSeconds) implements TurnClientEvent {
    }

    /** The allocation was deleted (Refresh with LIFETIME 0, or a 437 to it, §8.3). */
    record Deleted() implements TurnClientEvent {
    }

    /** §10.3: permissions installed or refreshed. */
    record PermissionsCreated(List<InetAddress> peers) implements TurnClientEvent {
        public PermissionsCreated {
            peers = List.copyOf(peers);
        }
    }

    /** §12.3: the channel is bound to the peer. */
    record ChannelBound(int number, InetSocketAddress peer) implements TurnClientEvent {
    }

    /** Data from a peer, via a Data indication (§11.4) or ChannelData (§12.6). */
    record Data(InetSocketAddress peer, byte[] data) implements TurnClientEvent {
        public Data {
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(data, "data");
        }
    }

    /**
     * A request failed: an error response (§7.4 lists what each code means) or no answer
     * (code 408, "Request timed out").
     */
    record Failed(int method, int code, String reason) implements TurnClientEvent {
    }
}
