package io.p2pnat.sim;

import io.p2pnat.core.SourceBudget;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.rendezvous.BindingResponder;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/** A stateless STUN Binding responder on one endpoint: a server's second address (RFC 5780 §4.3). */
public final class BindingHost extends Host {
    private final int port;
    private final ArrayDeque<Transmit> out = new ArrayDeque<>();
    private long answered;
    /** Meters answers per source address (RFC 5128 §6.2), as the real responder does. */
    private final SourceBudget budget = new SourceBudget();

    BindingHost(SimNet net, String name, InetSocketAddress at, Realm realm, Link link) {
        super(net, name, at.getAddress(), realm, link);
        this.port = at.getPort();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(ip, port);
    }

    public long answered() {
        return answered;
    }

    @Override
    boolean listens(int p) {
        return p == port;
    }

    @Override
    void receive(long now, int p, InetSocketAddress from, byte[] data) {
        byte[] answer = BindingResponder.answer(now, budget, from, data, 0, data.length);
        if (answer != null) {
            answered++;
            out.add(new Transmit(from, answer));
        }
    }

    @Override
    long nextTimeout() {
        return Timers.NEVER;
    }

    @Override
    void timeout(long now) {
    }

    @Override
    void flush(long now) {
        InetSocketAddress me = address();
        for (Transmit t = out.poll(); t != null; t = out.poll()) {
            net.send(this, me, t.destination(), t.payload());
        }
    }
}
