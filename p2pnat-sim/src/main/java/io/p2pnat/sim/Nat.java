package io.p2pnat.sim;

import java.net.InetAddress;

/**
 * A NAT in the simulated network: its public address in the parent realm, the uplink to it, the
 * realm inside it, and its translation state ({@link NatModel}).
 */
public final class Nat {
    public final String name;
    public final InetAddress publicIp;
    final Realm parent;
    final Realm inside;
    Link uplink;
    final NatModel model;
    /** The sweep the event queue holds for this NAT's model, or Long.MAX_VALUE. */
    long sweepAt = Long.MAX_VALUE;

    Nat(String name, InetAddress publicIp, Realm parent, Link uplink, NatModel model) {
        this.name = name;
        this.publicIp = publicIp;
        this.parent = parent;
        this.uplink = uplink;
        this.model = model;
        this.inside = new Realm(this);
    }

    /** Replaces the uplink (e.g. the network degrades mid-run). */
    public void relink(Link l) {
        uplink = java.util.Objects.requireNonNull(l);
    }

    /** The NAT reboots: every mapping forgotten, new ones on other public ports (see {@link NatModel#reboot()}). */
    public void reboot() {
        model.reboot();
    }

    public Link uplink() {
        return uplink;
    }

    public NatModel model() {
        return model;
    }

    public NatConfig config() {
        return model.config();
    }

    @Override
    public String toString() {
        return name;
    }
}
