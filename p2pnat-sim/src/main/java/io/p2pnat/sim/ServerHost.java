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
    /** The service; {@link #restart()} replaces it with a fresh one. */
    public RendezvousService service;
    private final RendezvousConfig config;
    private int restarts;
    private int alternatePort;
    private final ArrayDeque<Transmit> alternateOut = new ArrayDeque<>();
    private InetSocketAddress otherAddress;
    /** RFC 5780 answers from a changed address or port, once both are known (see {@link #receive}). */
    private io.p2pnat.core.discovery.BehaviorResponder behavior;
    private final ArrayDeque<io.p2pnat.core.discovery.BehaviorResponder.Reply> behaviorOut = new ArrayDeque<>();
    private TcpStack tcpStack;
    private final java.util.Map<Long, TcpStack.Conn> tcpConns = new java.util.LinkedHashMap<>();
    private final java.util.Map<TcpStack.Conn, TcpStack.Conn> spliced = new java.util.LinkedHashMap<>();

    ServerHost(SimNet net, String name, InetSocketAddress at, Realm realm, Link link, RendezvousConfig config, Random random) {
        super(net, name, at.getAddress(), realm, link);
        this.port = at.getPort();
        this.config = config;
        this.service = new RendezvousService(config, random);
    }

    /**
     * The server's process dies and comes back at once: a fresh {@link RendezvousService} with the
     * same config, ports and addresses, so every registration, pending introduction and relay
     * session is lost (peers learn it from their next keepalive or relayed frame). TCP
     * connections to it are reset. Its randomness comes from the network's seed.
     */
    public void restart() {
        long now = net.now();
        if (tcpStack != null) {
            for (TcpStack.Conn c : new java.util.ArrayList<>(tcpConns.values())) {
                tcpStack.abort(now, c);
            }
            for (TcpStack.Conn c : new java.util.ArrayList<>(spliced.keySet())) {
                tcpStack.abort(now, c);
            }
            tcpConns.clear();
            spliced.clear();
        }
        alternateOut.clear();
        behaviorOut.clear();
        service = new RendezvousService(config, new SimRandom(net.nextSeed()));
        if (alternatePort != 0) {
            service.setAlternatePort(alternatePort);
        }
        if (otherAddress != null) {
            service.setOtherAddress(otherAddress);
        }
        restarts++;
        net.touch(this);
    }

    /** How often the server restarted. */
    public int restarts() {
        return restarts;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(ip, port);
    }

    /** Answers Binding on {@code p} too, and tells registering peers so (RendezvousService#setAlternatePort). */
    public ServerHost alternatePort(int p) {
        alternatePort = p;
        service.setAlternatePort(p);
        behavior = null;
        return this;
    }

    /** Tells registering peers that Binding is answered at {@code other} (RFC 5780 OTHER-ADDRESS). */
    public ServerHost otherAddress(InetSocketAddress other) {
        service.setOtherAddress(other);
        otherAddress = other;
        behavior = null;
        return this;
    }

    /**
     * The RFC 5780 responder for CHANGE-REQUEST on the main port, as the real server's
     * {@code BehaviorDiscovery} puts in front of it: answers leave from the alternate port, or
     * from the other address (with the alternate port). Null without an alternate port.
     */
    private io.p2pnat.core.discovery.BehaviorResponder behavior() {
        if (behavior == null && alternatePort != 0) {
            behavior = new io.p2pnat.core.discovery.BehaviorResponder(address(), alternatePort,
                    otherAddress == null ? null : otherAddress.getAddress());
        }
        return behavior;
    }

    /**
     * Accepts TCP on the main port and drives the service's stream sessions (TCP registration,
     * RELAY-ATTACH) through its stream API: opened, data, closed in; Write, Close and Splice out.
     * A splice copies bytes both ways and forwards FIN and RST, as the real server does.
     */
    public ServerHost withTcp() {
        if (tcpStack == null) {
            tcpStack = new TcpStack(net, this, new SimRandom(net.nextSeed()));
            tcpStack.listen(port);
            tcpStack.listener(new Streams());
        }
        return this;
    }

    @Override
    TcpStack tcpStack() {
        return tcpStack;
    }

    /** Connections spliced now (two per relayed stream). */
    public int splicedStreams() {
        return spliced.size();
    }

    private final class Streams implements TcpStack.Listener {
        @Override
        public void connected(long now, TcpStack.Conn c) {
            tcpStack.abort(now, c);
        }

        @Override
        public void connectFailed(long now, TcpStack.Conn c, boolean refused) {
        }

        @Override
        public void accepted(long now, TcpStack.Conn c) {
            tcpConns.put(c.id(), c);
            service.handleStreamOpened(now, c.id(), c.remote());
        }

        @Override
        public void data(long now, TcpStack.Conn c, byte[] bytes) {
            TcpStack.Conn other = spliced.get(c);
            if (other != null) {
                tcpStack.write(now, other, bytes);
            } else if (tcpConns.containsKey(c.id())) {
                service.handleStreamData(now, c.id(), bytes, 0, bytes.length);
            }
        }

        @Override
        public void finished(long now, TcpStack.Conn c) {
            TcpStack.Conn other = spliced.get(c);
            if (other != null) {
                tcpStack.close(now, other);
            } else {
                if (tcpConns.remove(c.id()) != null) {
                    service.handleStreamClosed(now, c.id());
                }
                tcpStack.close(now, c);
            }
        }

        @Override
        public void reset(long now, TcpStack.Conn c) {
            TcpStack.Conn other = spliced.remove(c);
            if (other != null) {
                spliced.remove(other);
                tcpStack.abort(now, other);
            } else if (tcpConns.remove(c.id()) != null) {
                service.handleStreamClosed(now, c.id());
            }
        }
    }

    private void streamCommands(long now) {
        for (io.p2pnat.core.rendezvous.StreamCommand cmd = service.pollStreamCommand(); cmd != null; cmd = service.pollStreamCommand()) {
            if (cmd instanceof io.p2pnat.core.rendezvous.StreamCommand.Write w) {
                TcpStack.Conn c = tcpConns.get(w.connId());
                if (c != null) {
                    tcpStack.write(now, c, w.bytes());
                }
            } else if (cmd instanceof io.p2pnat.core.rendezvous.StreamCommand.Close cl) {
                TcpStack.Conn c = tcpConns.remove(cl.connId());
                if (c != null) {
                    tcpStack.close(now, c);
                }
            } else if (cmd instanceof io.p2pnat.core.rendezvous.StreamCommand.Splice sp) {
                TcpStack.Conn a = tcpConns.remove(sp.connIdA());
                TcpStack.Conn b = tcpConns.remove(sp.connIdB());
                if (a != null && b != null) {
                    spliced.put(a, b);
                    spliced.put(b, a);
                } else if (a != null) {
                    tcpStack.abort(now, a);
                } else if (b != null) {
                    tcpStack.abort(now, b);
                }
            }
        }
    }

    @Override
    boolean listens(int p) {
        return p == port || (alternatePort != 0 && p == alternatePort);
    }

    @Override
    void receive(long now, int p, InetSocketAddress from, byte[] data) {
        if (p == port) {
            // Only Binding requests with CHANGE-REQUEST go to the RFC 5780 responder here (the
            // real server's also takes PADDING ones, answering them as the service would).
            io.p2pnat.core.discovery.BehaviorResponder b = behavior();
            io.p2pnat.wire.StunMessage m = b == null ? null : io.p2pnat.core.discovery.BehaviorResponder.bindingRequest(data, 0, data.length);
            if (m != null && m.has(io.p2pnat.wire.StunAttributeType.CHANGE_REQUEST)) {
                io.p2pnat.core.discovery.BehaviorResponder.Reply r =
                        b.handle(now, io.p2pnat.core.discovery.ServerSocketRole.PRIMARY, from, data, 0, data.length);
                if (r != null) {
                    behaviorOut.add(r);
                }
                return;
            }
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
        return tcpStack == null ? service.nextTimeout() : Math.min(service.nextTimeout(), tcpStack.nextTimeout());
    }

    @Override
    void timeout(long now) {
        if (tcpStack == null) {
            service.handleTimeout(now);
            return;
        }
        if (now >= service.nextTimeout()) {
            service.handleTimeout(now);
        }
        tcpStack.timeout(now);
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
        for (io.p2pnat.core.discovery.BehaviorResponder.Reply r = behaviorOut.poll(); r != null; r = behaviorOut.poll()) {
            net.send(this, behavior.address(r.from()), r.to(), r.payload());
        }
        if (tcpStack != null) {
            streamCommands(now);
        }
    }
}
