package io.p2pnat.sim;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/** An address space: the internet, or the inside of one NAT. */
final class Realm {
    /** The NAT this realm is the inside of; null for the internet. */
    final Nat nat;
    final Map<InetAddress, Host> hosts = new HashMap<>();
    final Map<InetAddress, Nat> nats = new HashMap<>();

    Realm(Nat nat) {
        this.nat = nat;
    }

    String name() {
        return nat == null ? "internet" : nat.name;
    }

    boolean taken(InetAddress ip) {
        return hosts.containsKey(ip) || nats.containsKey(ip);
    }
}
