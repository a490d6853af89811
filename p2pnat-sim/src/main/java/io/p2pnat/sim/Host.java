package io.p2pnat.sim;

import io.p2pnat.core.Timers;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Something with an IP address in one realm (the internet or the inside of a NAT), attached by a
 * {@link Link}, owning some UDP ports. Subclasses drive one sans-I/O state machine.
 */
public abstract class Host {
    public final String name;
    public final InetAddress ip;
    final SimNet net;
    final Realm realm;
    Link link;
    /** The earliest wake-up the event queue holds for this host, or NEVER (see SimNet#touch). */
    long timerAt = Timers.NEVER;

    Host(SimNet net, String name, InetAddress ip, Realm realm, Link link) {
        this.net = net;
        this.name = name;
        this.ip = ip;
        this.realm = realm;
        this.link = link;
    }

    /** Replaces this host's link (e.g. the network degrades mid-run); packets in flight keep their delays. */
    public void relink(Link l) {
        link = java.util.Objects.requireNonNull(l);
    }

    public Link link() {
        return link;
    }

    /**
     * Takes the host off the network ({@code false}) or puts it back: while it is off, packets to
     * it are dropped ("host down") and what it sends is lost; its state machine keeps running.
     */
    public void connected(boolean on) {
        down = !on;
    }

    /** Whether the host is off the network (see {@link #connected(boolean)}). */
    public boolean down() {
        return down;
    }

    /** Off the network: see {@link #connected(boolean)}. */
    boolean down;

    /** Whether a socket is bound to {@code port}. */
    abstract boolean listens(int port);

    /** A datagram from {@code from} arrived at our {@code port}. */
    abstract void receive(long now, int port, InetSocketAddress from, byte[] data);

    abstract long nextTimeout();

    /** This host's TCP stack, or null when it speaks no TCP (segments to it are dropped). */
    TcpStack tcpStack() {
        return null;
    }

    abstract void timeout(long now);

    /** Hands everything the state machine wants sent to {@link SimNet#send}, and its events to observers. */
    abstract void flush(long now);

    @Override
    public String toString() {
        return name;
    }
}
