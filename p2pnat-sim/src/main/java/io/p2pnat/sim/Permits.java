package io.p2pnat.sim;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;

/**
 * The outside addresses (ADF) or endpoints (APDF) a mapping admits (RFC 4787 §5), in little
 * memory: a population run holds millions of mappings, nearly all with one permit. One IPv4
 * permit sits in a field; more go to an open-addressing table of longs; anything else (IPv6)
 * to a plain set.
 */
final class Permits {
    private static final long NONE = 0;
    private long one = NONE;
    private long[] table;
    private int size;
    private Set<Object> other;

    /** Admits {@code a} from now on: its address only ({@code withPort} false) or the exact endpoint. */
    void add(InetSocketAddress a, boolean withPort) {
        long k = key(a, withPort);
        if (k == NONE) {
            if (other == null) {
                other = new HashSet<>(2);
            }
            other.add(withPort ? a : a.getAddress());
        } else if (one == NONE || one == k) {
            one = k;
        } else {
            insert(k);
        }
    }

    boolean admits(InetSocketAddress a, boolean withPort) {
        long k = key(a, withPort);
        if (k == NONE) {
            return other != null && other.contains(withPort ? a : a.getAddress());
        }
        if (k == one) {
            return true;
        }
        if (table == null) {
            return false;
        }
        for (int i = slot(k); ; i = (i + 1) & (table.length - 1)) {
            if (table[i] == k) {
                return true;
            }
            if (table[i] == NONE) {
                return false;
            }
        }
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

    private int slot(long k) {
        return (int) ((k * 0x9E3779B97F4A7C15L) >>> (64 - Integer.numberOfTrailingZeros(table.length)));
    }

    private void insert(long k) {
        if (table == null) {
            table = new long[4];
        } else if ((size + 1) * 2 > table.length) {
            long[] old = table;
            table = new long[old.length * 2];
            size = 0;
            for (long x : old) {
                if (x != NONE) {
                    insert(x);
                }
            }
        }
        for (int i = slot(k); ; i = (i + 1) & (table.length - 1)) {
            if (table[i] == k) {
                return;
            }
            if (table[i] == NONE) {
                table[i] = k;
                size++;
                return;
            }
        }
    }
}
