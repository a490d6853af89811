package io.p2pnat.sim;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * An address space: the internet, or the inside of one NAT. Every packet is routed through one
 * of these lookups, so IPv4 addresses go to unboxed tables (the internet realm of a population
 * run holds 100k NATs and hosts); other families to plain maps.
 */
final class Realm {
    /** The NAT this realm is the inside of; null for the internet. */
    final Nat nat;
    private final IntMap<Host> hosts4 = new IntMap<>();
    private final IntMap<Nat> nats4 = new IntMap<>();
    private final Map<InetAddress, Host> hosts = new HashMap<>();
    private final Map<InetAddress, Nat> nats = new HashMap<>();

    Realm(Nat nat) {
        this.nat = nat;
    }

    String name() {
        return nat == null ? "internet" : nat.name;
    }

    boolean taken(InetAddress ip) {
        return host(ip) != null || nat(ip) != null;
    }

    /** The host with address {@code ip} in this realm, or null. */
    Host host(InetAddress ip) {
        // Inet4Address.hashCode() is its address as an int.
        return ip instanceof Inet4Address ? hosts4.get(ip.hashCode()) : hosts.get(ip);
    }

    /** The NAT whose public address in this realm is {@code ip}, or null. */
    Nat nat(InetAddress ip) {
        return ip instanceof Inet4Address ? nats4.get(ip.hashCode()) : nats.get(ip);
    }

    void addHost(InetAddress ip, Host h) {
        if (ip instanceof Inet4Address) {
            hosts4.put(ip.hashCode(), h);
        } else {
            hosts.put(ip, h);
        }
    }

    void addNat(InetAddress ip, Nat n) {
        if (ip instanceof Inet4Address) {
            nats4.put(ip.hashCode(), n);
        } else {
            nats.put(ip, n);
        }
    }
}
