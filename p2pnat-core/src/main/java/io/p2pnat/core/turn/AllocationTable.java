package io.p2pnat.core.turn;

import io.p2pnat.core.Timers;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The allocations of a TURN server, found by 5-tuple (client transport address) and by relay
 * port; per-user and per-IP counts for the quotas of RFC 8656 §7.2 step 10; reservation tokens
 * (§7.2: the port N+1 "is assigned a token and reserved for a future allocation"); expiry.
 */
final class AllocationTable {
    private final Map<InetSocketAddress, Allocation> byClient = new HashMap<>();
    /** Allocations of clients over TCP: a 5-tuple of its own even when the address equals a UDP client's. */
    private final Map<InetSocketAddress, Allocation> byStreamClient = new HashMap<>();
    private final Allocation[] byPort = new Allocation[65536];
    private final Map<String, Integer> perUser = new HashMap<>();
    private final Map<InetAddress, Integer> perIp = new HashMap<>();
    private final Map<Long, long[]> reservations = new HashMap<>(); // token -> {port, expiresAt}
    private long nextSweep = Timers.NEVER;

    Allocation byClient(InetSocketAddress client, boolean stream) {
        return (stream ? byStreamClient : byClient).get(client);
    }

    private Map<InetSocketAddress, Allocation> clients(Allocation a) {
        return a.stream ? byStreamClient : byClient;
    }

    Allocation byPort(int port) {
        return byPort[port];
    }

    int size() {
        return byClient.size() + byStreamClient.size();
    }

    int userCount(String quotaKey) {
        return perUser.getOrDefault(quotaKey, 0);
    }

    int ipCount(InetAddress ip) {
        return perIp.getOrDefault(ip, 0);
    }

    void add(Allocation a) {
        clients(a).put(a.client, a);
        byPort[a.relayPort] = a;
        perUser.merge(a.quotaKey, 1, Integer::sum);
        perIp.merge(a.client.getAddress(), 1, Integer::sum);
        schedule(a.expiresAt);
    }

    void remove(Allocation a) {
        if (clients(a).remove(a.client, a)) {
            byPort[a.relayPort] = null;
            decrement(perUser, a.quotaKey);
            decrement(perIp, a.client.getAddress());
        }
    }

    private static <K> void decrement(Map<K, Integer> counts, K key) {
        counts.computeIfPresent(key, (k, v) -> v <= 1 ? null : v - 1);
    }

    // ---- reservations

    void reserve(byte[] token, int port, long expiresAt) {
        reservations.put(ByteBuffer.wrap(token).getLong(), new long[] {port, expiresAt});
        schedule(expiresAt);
    }

    /** Removes and returns the reservation {@code {port, expiresAt}} of a token, or null. */
    long[] takeReservation(byte[] token) {
        return reservations.remove(ByteBuffer.wrap(token).getLong());
    }

    // ---- expiry

    /** Asks for a sweep at {@code deadline} (no earlier than a second after the last one). */
    void schedule(long deadline) {
        nextSweep = Math.min(nextSweep, deadline);
    }

    long nextSweep() {
        return nextSweep;
    }

    /**
     * Sweeps expired allocations (returned, already removed), expired reservations (their ports
     * given to {@code releasedPorts}), permissions and channels.
     */
    List<Allocation> sweep(long now, List<Integer> releasedPorts) {
        List<Allocation> expired = new ArrayList<>();
        long next = Timers.NEVER;
        for (Map<InetSocketAddress, Allocation> clients : List.of(byClient, byStreamClient)) {
            for (Allocation a : clients.values()) {
                if (now >= a.expiresAt) {
                    expired.add(a);
                } else {
                    next = Math.min(next, a.sweep(now));
                }
            }
        }
        for (Allocation a : expired) {
            remove(a);
        }
        for (Iterator<long[]> it = reservations.values().iterator(); it.hasNext(); ) {
            long[] r = it.next();
            if (now >= r[1]) {
                releasedPorts.add((int) r[0]);
                it.remove();
            } else {
                next = Math.min(next, r[1]);
            }
        }
        nextSweep = next == Timers.NEVER ? Timers.NEVER : Math.max(next, now + 1_000_000_000L);
        return expired;
    }
}
