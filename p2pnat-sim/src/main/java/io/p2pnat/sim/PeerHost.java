package io.p2pnat.sim;

import io.p2pnat.core.Transmit;
import io.p2pnat.core.peer.PeerAgent;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiConsumer;

/**
 * A host running one {@link PeerAgent}: its main socket at the first private endpoint of its
 * config, and the extra sockets the agent asks for through {@link Transmit#socket()} (birthday
 * punching), bound on first use to ephemeral ports and closed when the agent releases them.
 */
public final class PeerHost extends Host {
    static final int EPHEMERAL_LOW = 49152;

    /** A peer event with the virtual time it was drained. */
    public record Timed(long at, PeerEvent event) {
    }

    public final PeerAgent agent;
    private final int mainPort;
    private InetSocketAddress mainEndpoint;
    /** Extra sockets' endpoints by id, and ids by port (a birthday spray binds 256 of them). */
    private final IntMap<InetSocketAddress> socketPorts = new IntMap<>();
    private final IntMap<Integer> portSockets = new IntMap<>();
    private int nextEphemeral = EPHEMERAL_LOW;
    private List<Timed> events = new ArrayList<>();
    private BiConsumer<PeerHost, Timed> listener;
    private int peakSockets;
    private final PeerConfig config;
    private TcpStack tcpStack;
    private TcpPeer tcp;

    PeerHost(SimNet net, PeerConfig config, Realm realm, Link link, Random random) {
        super(net, config.peerId(), config.privateEndpoints().get(0).getAddress(), realm, link);
        this.agent = new PeerAgent(config, random);
        this.mainPort = config.privateEndpoints().get(0).getPort();
        this.config = config;
    }

    /**
     * Gives this peer a TCP stack and the TCP side of the peer ({@link TcpPeer}): once the agent
     * has registered, it registers over TCP from the punching port; TCP introductions are punched.
     */
    public PeerHost withTcp() {
        if (tcp == null) {
            tcpStack = new TcpStack(net, this, new SimRandom(net.nextSeed()));
            tcp = new TcpPeer(this, tcpStack, agent, config, mainPort, new SimRandom(net.nextSeed()));
        }
        return this;
    }

    /** The TCP side, or null without {@link #withTcp()}. */
    public TcpPeer tcp() {
        return tcp;
    }

    @Override
    TcpStack tcpStack() {
        return tcpStack;
    }

    /** Dials {@code target} over TCP now (needs {@link #withTcp()}); the result is a {@link TcpPeer.Outcome}. */
    public long dialTcp(String target, long timeoutNanos) {
        long id = agent.dial(net.now(), target, timeoutNanos, true);
        net.touch(this);
        return id;
    }

    /** Starts registration now. */
    public PeerHost start() {
        agent.start(net.now());
        net.touch(this);
        return this;
    }

    /** Dials {@code target} now; the result comes as an event with the returned id. */
    public long dial(String target, long timeoutNanos) {
        long id = agent.dial(net.now(), target, timeoutNanos);
        net.touch(this);
        return id;
    }

    /** Sends application data on a session now. */
    public boolean send(long sessionId, byte[] payload) {
        boolean ok = agent.send(net.now(), sessionId, payload);
        net.touch(this);
        return ok;
    }

    public void close(long sessionId) {
        agent.close(net.now(), sessionId);
        net.touch(this);
    }

    /** Stops keeping events in memory (for large runs); a {@link #onEvent listener} still sees them. */
    public PeerHost forgetEvents() {
        events = null;
        return this;
    }

    /** Calls {@code l} with every event the agent reports, as it is drained. */
    public PeerHost onEvent(BiConsumer<PeerHost, Timed> l) {
        listener = l;
        return this;
    }

    public List<Timed> events() {
        return events == null ? List.of() : List.copyOf(events);
    }

    /** The first event of this type, with its time, or null. */
    public Timed first(Class<? extends PeerEvent> type) {
        if (events != null) {
            for (Timed t : events) {
                if (type.isInstance(t.event())) {
                    return t;
                }
            }
        }
        return null;
    }

    public boolean has(Class<? extends PeerEvent> type) {
        return first(type) != null;
    }

    /** Extra sockets open now. */
    public int extraSockets() {
        return socketPorts.size();
    }

    /** Most extra sockets open at once. */
    public int peakExtraSockets() {
        return peakSockets;
    }

    /** The local endpoint of socket {@code id} (0: main), binding an extra socket if new. */
    InetSocketAddress local(int socket) {
        if (socket == 0) {
            if (mainEndpoint == null) {
                mainEndpoint = new InetSocketAddress(ip, mainPort);
            }
            return mainEndpoint; // one object: NAT mappings key on it by the million
        }
        InetSocketAddress at = socketPorts.get(socket);
        if (at == null) {
            int port;
            do {
                port = nextEphemeral;
                nextEphemeral = nextEphemeral == 65535 ? EPHEMERAL_LOW : nextEphemeral + 1;
            } while (port == mainPort || portSockets.get(port) != null);
            at = new InetSocketAddress(ip, port);
            socketPorts.put(socket, at);
            portSockets.put(port, socket);
            peakSockets = Math.max(peakSockets, socketPorts.size());
        }
        return at;
    }

    @Override
    boolean listens(int port) {
        return port == mainPort || portSockets.get(port) != null;
    }

    @Override
    void receive(long now, int port, InetSocketAddress from, byte[] data) {
        int socket = port == mainPort ? 0 : portSockets.get(port);
        agent.handleInput(now, socket, from, data, 0, data.length);
    }

    @Override
    long nextTimeout() {
        if (tcp == null) {
            return agent.nextTimeout();
        }
        return Math.min(agent.nextTimeout(), Math.min(tcpStack.nextTimeout(), tcp.nextTimeout()));
    }

    @Override
    void timeout(long now) {
        if (tcp == null) {
            agent.handleTimeout(now);
            return;
        }
        if (now >= agent.nextTimeout()) {
            agent.handleTimeout(now);
        }
        tcpStack.timeout(now);
        tcp.timeout(now);
    }

    @Override
    void flush(long now) {
        boolean more = true;
        while (more) {
            more = flushOnce(now);
        }
    }

    private void send(Transmit single, SimNet.Batch run) {
        if (run != null) {
            net.send(this, run);
        } else if (single != null) {
            net.send(this, local(single.socket()), single.destination(), single.payload());
        }
    }

    /** Drains the agent once; true when the TCP side may have made the agent queue more. */
    private boolean flushOnce(long now) {
        boolean tcpCalled = false;
        // Runs of datagrams to one address (a birthday spray or probe tick) travel as a batch.
        Transmit first = null;
        SimNet.Batch run = null;
        for (Transmit t = agent.pollTransmit(); t != null; t = agent.pollTransmit()) {
            if (first != null && net.batching && first.destination().getAddress().equals(t.destination().getAddress())) {
                if (run == null) {
                    run = new SimNet.Batch();
                    run.add(local(first.socket()), first.destination(), first.payload());
                }
                run.add(local(t.socket()), t.destination(), t.payload());
                continue;
            }
            send(first, run);
            first = t;
            run = null;
        }
        send(first, run);
        for (PeerEvent e = agent.pollEvent(); e != null; e = agent.pollEvent()) {
            if (e instanceof PeerEvent.SocketsReleased r) {
                for (int id : r.sockets()) {
                    InetSocketAddress at = socketPorts.get(id);
                    socketPorts.remove(id);
                    if (at != null) {
                        portSockets.remove(at.getPort());
                    }
                }
            }
            Timed t = new Timed(now, e);
            if (events != null) {
                events.add(t);
            }
            if (listener != null) {
                listener.accept(this, t);
            }
            net.recordEvent(name + " event " + e.getClass().getSimpleName());
            if (tcp != null && e instanceof PeerEvent.Registered) {
                tcp.start(now);
                tcpCalled = true;
            } else if (tcp != null && e instanceof PeerEvent.TcpIntroduced ti) {
                tcp.introduce(now, ti);
                tcpCalled = true;
            }
        }
        return tcpCalled;
    }
}
