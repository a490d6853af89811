package io.p2pnat.core.turn;

import io.p2pnat.wire.TransactionId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * One allocation, RFC 8656 §6: "the relayed transport address; the 5-tuple ...; the
 * authentication information; the time-to-expiry ...; a list of permissions ...; a list of
 * channel-to-peer bindings". The server's side of the 5-tuple is fixed (one listening socket), so
 * the client's transport address identifies the allocation. Mutable; owned by {@link TurnService}
 * on one thread.
 */
final class Allocation {
    /** A channel binding, RFC 8656 §12: channel number, peer transport address, time-to-expiry. */
    static final class Channel {
        final int number;
        final InetSocketAddress peer;
        long expiresAt;

        Channel(int number, InetSocketAddress peer, long expiresAt) {
            this.number = number;
            this.peer = peer;
            this.expiresAt = expiresAt;
        }
    }

    final InetSocketAddress client;
    /** The client's transport is a TCP connection (RFC 8656 §3.1), not UDP: another 5-tuple, and its end ends the allocation. */
    final boolean stream;
    final String username;
    final String quotaKey;
    final byte[] key;
    final int relayPort;
    final TransactionId allocateTransaction;
    /** False until the driver has opened the relay socket. */
    boolean open;
    long expiresAt;
    /** The Allocate success response, re-sent for a retransmitted Allocate (RFC 8656 §5). */
    byte[] allocateResponse;
    /** Set while the relay socket is being opened: how to answer once it is. */
    PendingAllocate pending;

    /** IP address → expiry (RFC 8656 §9: "only addresses are compared and port numbers are not"). */
    private final Map<InetAddress, long[]> permissions = new HashMap<>(4);
    private final Map<Integer, Channel> channelsByNumber = new HashMap<>(4);
    private final Map<InetSocketAddress, Channel> channelsByPeer = new HashMap<>(4);

    Allocation(InetSocketAddress client, boolean stream, String username, String quotaKey, byte[] key, int relayPort,
               TransactionId allocateTransaction, long expiresAt) {
        this.client = client;
        this.stream = stream;
        this.username = username;
        this.quotaKey = quotaKey;
        this.key = key;
        this.relayPort = relayPort;
        this.allocateTransaction = allocateTransaction;
        this.expiresAt = expiresAt;
    }

    boolean isLive(long now) {
        return open && now < expiresAt;
    }

    // ---- permissions (RFC 8656 §9)

    boolean hasPermission(InetAddress peer, long now) {
        long[] exp = permissions.get(peer);
        return exp != null && now < exp[0];
    }

    /** Installs or refreshes a permission. */
    void permit(InetAddress peer, long expiresAt) {
        long[] exp = permissions.get(peer);
        if (exp == null) {
            permissions.put(peer, new long[] {expiresAt});
        } else {
            exp[0] = Math.max(exp[0], expiresAt);
        }
    }

    boolean hasPermissionEntry(InetAddress peer) {
        return permissions.containsKey(peer);
    }

    /** Forgets expired permissions and channels now (before counting them against a limit). */
    void prune(long now) {
        sweep(now);
    }

    int permissionCount() {
        return permissions.size();
    }

    // ---- channels (RFC 8656 §12)

    Channel channel(int number, long now) {
        Channel c = channelsByNumber.get(number);
        return c != null && now < c.expiresAt ? c : null;
    }

    Channel channelTo(InetSocketAddress peer, long now) {
        Channel c = channelsByPeer.get(peer);
        return c != null && now < c.expiresAt ? c : null;
    }

    /**
     * Creates or refreshes a binding. The caller has checked that neither the number nor the peer
     * is live-bound elsewhere; stale (expired, unswept) entries for either are replaced.
     */
    void bind(int number, InetSocketAddress peer, long expiresAt) {
        Channel c = channelsByNumber.get(number);
        if (c != null && c.peer.equals(peer)) {
            c.expiresAt = expiresAt;
            return;
        }
        if (c != null) {
            channelsByPeer.remove(c.peer);
        }
        Channel old = channelsByPeer.get(peer);
        if (old != null) {
            channelsByNumber.remove(old.number);
        }
        c = new Channel(number, peer, expiresAt);
        channelsByNumber.put(number, c);
        channelsByPeer.put(peer, c);
    }

    int channelCount() {
        return channelsByNumber.size();
    }

    /**
     * Drops expired permissions and channels.
     *
     * @return the earliest expiry still pending (including the allocation's own)
     */
    long sweep(long now) {
        long next = expiresAt;
        for (Iterator<long[]> it = permissions.values().iterator(); it.hasNext(); ) {
            long exp = it.next()[0];
            if (now >= exp) {
                it.remove();
            } else {
                next = Math.min(next, exp);
            }
        }
        for (Iterator<Channel> it = channelsByNumber.values().iterator(); it.hasNext(); ) {
            Channel c = it.next();
            if (now >= c.expiresAt) {
                it.remove();
                channelsByPeer.remove(c.peer);
            } else {
                next = Math.min(next, c.expiresAt);
            }
        }
        return next;
    }

    /** What the service needs to answer an Allocate once the relay socket is open. */
    record PendingAllocate(TurnRequest request, long lifetimeSeconds, byte[] reservationToken,
                           int reservedPort, boolean additionalFamilyRefused, int attempt) {
    }
}
