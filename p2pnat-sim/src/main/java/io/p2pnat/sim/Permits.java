package io.p2pnat.sim;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;

/**
 * The outside addresses (ADF) or endpoints (APDF) a mapping admits (RFC 4787 §5), each with its
 * own lifetime as a Linux conntrack entry has: {@code unreplied} after the last packet sent to
 * it, {@code replied} once something came back from it. A population run holds millions of
 * mappings, nearly all with one permit, and some (the easy side of a birthday punch) with
 * hundreds that die unanswered: one IPv4 permit sits in fields, more in an open-addressing table
 * of (key, time) pairs side by side in one array (a lookup is one cache miss, not two), dropped
 * by {@link #sweep}. Other families (IPv6) go to a plain set that does not expire.
 */
class Permits {
    private static final long NONE = 0;
    private long one = NONE;
    private long oneTime;
    /**
     * Slot i holds a key at 2i and its time at 2i + 1: the last packet sent to the permit,
     * shifted left once; bit 0: something came back.
     */
    private long[] table;
    private int size;
    private Set<Object> other;

    /** A packet to {@code a} leaves at {@code now}: admit its address ({@code withPort} false) or endpoint. */
    void add(InetSocketAddress a, boolean withPort, long now) {
        long k = key(a, withPort);
        if (k == NONE) {
            if (other == null) {
                other = new HashSet<>(2);
            }
            other.add(withPort ? a : a.getAddress());
        } else if (one == NONE || one == k) {
            oneTime = one == k ? now << 1 | (oneTime & 1) : now << 1;
            one = k;
        } else {
            put(k, now);
        }
    }

    /** Whether {@code a} may send in at {@code now}; marks the permit answered when so. */
    boolean admits(InetSocketAddress a, boolean withPort, long now, long unreplied, long replied) {
        long k = key(a, withPort);
        if (k == NONE) {
            return other != null && other.contains(withPort ? a : a.getAddress());
        }
        if (k == one) {
            if (expired(oneTime, now, unreplied, replied)) {
                return false;
            }
            oneTime |= 1;
            return true;
        }
        int i = find(k);
        if (i < 0 || expired(table[i + 1], now, unreplied, replied)) {
            return false;
        }
        table[i + 1] |= 1;
        return true;
    }

    /** Drops the permits that expired by {@code now}. */
    void sweep(long now, long unreplied, long replied) {
        if (one != NONE && expired(oneTime, now, unreplied, replied)) {
            one = NONE;
        }
        if (table == null) {
            return;
        }
        int live = 0;
        for (int i = 0; i < table.length; i += 2) {
            if (table[i] != NONE && !expired(table[i + 1], now, unreplied, replied)) {
                live++;
            }
        }
        if (live == size) {
            return; // nothing expired: keep the table as it is
        }
        if (live == 0) {
            table = null;
            size = 0;
            return;
        }
        long[] old = table;
        table = null;
        size = 0;
        for (int i = 0; i < old.length; i += 2) {
            if (old[i] != NONE && !expired(old[i + 1], now, unreplied, replied)) {
                insert(old[i], old[i + 1]);
            }
        }
    }

    private static boolean expired(long time, long now, long unreplied, long replied) {
        return now - (time >>> 1) >= ((time & 1) != 0 ? replied : unreplied);
    }

    /** IPv4 address (and port, or 65536 for "any port") packed into a long; NONE for other families. */
    private static long key(InetSocketAddress a, boolean withPort) {
        InetAddress ip = a.getAddress();
        if (!(ip instanceof Inet4Address)) {
            return NONE;
        }
        // Inet4Address.hashCode() is its address as an int (getAddress() would copy an array).
        return (ip.hashCode() & 0xFFFFFFFFL) << 17 | (withPort ? a.getPort() : 0x10000) | 1L << 60;
    }

    /** The key's home: an even index into the table. */
    private int slot(long k) {
        int slots = table.length >>> 1;
        return (int) ((k * 0x9E3779B97F4A7C15L) >>> (64 - Integer.numberOfTrailingZeros(slots))) << 1;
    }

    /** The key's index in the table (even), or -1. */
    private int find(long k) {
        if (table == null) {
            return -1;
        }
        int mask = table.length - 1;
        for (int i = slot(k); ; i = (i + 2) & mask) {
            long x = table[i];
            if (x == k) {
                return i;
            }
            if (x == NONE) {
                return -1;
            }
        }
    }

    private void put(long k, long now) {
        int i = find(k);
        if (i >= 0) {
            table[i + 1] = now << 1 | (table[i + 1] & 1);
        } else {
            insert(k, now << 1);
        }
    }

    private void insert(long k, long time) {
        if (table == null) {
            table = new long[8];
        } else if ((size + 1) * 4 > table.length) { // at most half the slots used
            long[] old = table;
            table = new long[old.length * 2];
            size = 0;
            for (int j = 0; j < old.length; j += 2) {
                if (old[j] != NONE) {
                    insert(old[j], old[j + 1]);
                }
            }
        }
        int mask = table.length - 1;
        for (int i = slot(k); ; i = (i + 2) & mask) {
            if (table[i] == NONE) {
                table[i] = k;
                table[i + 1] = time;
                size++;
                return;
            }
        }
    }
}
