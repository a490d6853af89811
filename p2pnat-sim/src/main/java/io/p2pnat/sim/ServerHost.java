package io.p2pnat.sim;

import io.p2pnat.core.Transmit;
import io.p2pnat.core.rendezvous.BindingResponder;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.rendezvous.RendezvousService;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Random;

/**
 * The rendezvous server: a {@link RendezvousService} on its main port and, optionally, a
 * stateless Binding responder on an alternate port of the same address (as the real server's
 * {@code --alt-port}); {@link #otherAddress} tells peers about a second address (a
 * {@link BindingHost}) for RFC 5780 style mapping classification.
 */
public final class ServerHost extends Host {
    private final int port;
    public final RendezvousService service;
    private int alternatePort;
    private final ArrayDeque<Transmit> alternateOut = new ArrayDeque<>();

    ServerHost(SimNet net, String name, InetSocketAddress at, Realm realm, Link link, RendezvousConfig config, Random random) {
        super(net, name, at.getAddress(), realm, link);
        this.port = at.getPort();
        this.service = new RendezvousService(config, random);
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(ip, port);
    }

    /** Answers Binding on {@code p} too, and tells registering peers so (RendezvousService#setAlternatePort). */
    public ServerHost alternatePort(int p) {
        alternatePort = p;
        service.setAlternatePort(p);
        return this;
    }

    /** Tells registering peers that Binding is answered at {@code other} (RFC 5780 OTHER-ADDRESS). */
    public ServerHost otherAddress(InetSocketAddress other) {
        service.setOtherAddress(other);
        return this;
    }

    @Override
    boolean listens(int p) {
        return p == port || (alternatePort != 0 && p == alternatePort);
    }

    @Override
    void receive(long now, int p, InetSocketAddress from, byte[] data) {
        if (p == port) {
            service.handleInput(now, from, data, 0, data.length);
        } else {
            byte[] answer = BindingResponder.answer(now, service.sourceBudget(), from, data, 0, data.length);
            if (answer != null) {
                alternateOut.add(new Transmit(from, answer));
            }
        }
    }

    @Override
    long nextTimeout() {
        return service.nextTimeout();
    }

    @Override
    void timeout(long now) {
        service.handleTimeout(now);
    }

    @Override
    void flush(long now) {
        InetSocketAddress main = address();
        for (Transmit t = service.pollTransmit(); t != null; t = service.pollTransmit()) {
            net.send(this, main, t.destination(), t.payload());
        }
        InetSocketAddress alt = new InetSocketAddress(ip, alternatePort);
        for (Transmit t = alternateOut.poll(); t != null; t = alternateOut.poll()) {
            net.send(this, alt, t.destination(), t.payload());
        }
    }
}
