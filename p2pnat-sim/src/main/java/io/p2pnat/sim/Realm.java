package io.p2pnat.sim;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * An address space: the internet, or the inside of one NAT. Every packet is routed through one
 * of these lookups, so IPv4 addresses go to unboxed tables (the internet realm of a population
 * run holds 100k NATs and hosts); other families to a plain map.
 */
final class Realm {
    /** The NAT this realm is the inside of; null for the internet. */
    final Nat nat;
    /** Hosts and NATs by IPv4 address, in one table: a route is one lookup. */
    private final IntMap<Object> stops4 = new IntMap<>();
    private final Map<InetAddress, Object> stops = new HashMap<>();

    Realm(Nat nat) {
        this.nat = nat;
    }

    String name() {
        return nat == null ? "internet" : nat.name;
    }

    boolean taken(InetAddress ip) {
        return stop(ip) != null;
    }

    /**
     * Where a packet for {@code ip} stops next once in this realm: a {@link Host}, a child
     * {@link Nat} (seen from outside), or null for the realm's own NAT on the way out.
     */
    Object stop(InetAddress ip) {
        // Inet4Address.hashCode() is its address as an int.
        return ip instanceof Inet4Address ? stops4.get(ip.hashCode()) : stops.get(ip);
    }

    void addHost(InetAddress ip, Host h) {
        add(ip, h);
    }

    void addNat(InetAddress ip, Nat n) {
        add(ip, n);
    }

    private void add(InetAddress ip, Object stop) {
        if (ip instanceof Inet4Address) {
            stops4.put(ip.hashCode(), stop);
        } else {
            stops.put(ip, stop);
        }
    }
}
