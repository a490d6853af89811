package io.p2pnat.sim;

import io.p2pnat.core.Timers;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A minimal host TCP stack for the simulator (RFC 9293's state machine reduced to what NAT
 * traversal exercises): listening ports, active opens from any local port (SO_REUSEPORT
 * semantics: a connecting socket may share the listening port, RFC 5128 §3.4), passive opens,
 * simultaneous open (two crossing SYNs: SYN-SENT → SYN-RECEIVED → ESTABLISHED on both sides),
 * RST for segments to no socket, in-order byte streams with cumulative ACKs, go-back-N
 * retransmission on a fixed, doubling timeout, FIN as end of input. No windows, no congestion
 * control, no TIME-WAIT. Connections are found by their 4-tuple; iteration follows creation order,
 * so runs are deterministic.
 */
public final class TcpStack {
    static final long SYN_RTO = 1_000_000_000L;
    static final long RTO = 300_000_000L;
    static final int MSS = 1400;
    private static final int MAX_RETRIES = 6;
    private static final int EPHEMERAL_LOW = 32768;

    /** RFC 9293 §3.3.2 states this stack distinguishes. */
    public enum State { SYN_SENT, SYN_RECEIVED, ESTABLISHED }

    /** What the owner of the stack hears (called synchronously, from {@link #receive} and {@link #timeout}). */
    interface Listener {
        /** An active open (ours) reached ESTABLISHED, by SYN-ACK or by simultaneous open. */
        void connected(long now, Conn c);

        /** An active open ended without a connection: RST ({@code refused}) or SYN retries exhausted. */
        void connectFailed(long now, Conn c, boolean refused);

        /** A passive open on a listening port reached ESTABLISHED. */
        void accepted(long now, Conn c);

        void data(long now, Conn c, byte[] bytes);

        /** The peer's FIN arrived: its input ended. */
        void finished(long now, Conn c);

        /** An established connection was reset or timed out; it is gone. */
        void reset(long now, Conn c);
    }

    /** One connection. */
    public final class Conn {
        final long id;
        final int localPort;
        final InetSocketAddress remote;
        final boolean active;
        State state;
        final long iss;
        long sndUna;
        long sndNxt;
        long rcvNxt;
        final ArrayDeque<TcpSegment> unacked = new ArrayDeque<>();
        long rtoAt = Timers.NEVER;
        long rto;
        int retries;
        boolean finSent;
        boolean finReceived;

        Conn(long id, int localPort, InetSocketAddress remote, boolean active, long iss) {
            this.id = id;
            this.localPort = localPort;
            this.remote = remote;
            this.active = active;
            this.iss = iss;
            this.sndUna = iss;
            this.sndNxt = iss + 1;
        }

        public long id() {
            return id;
        }

        public int localPort() {
            return localPort;
        }

        public InetSocketAddress remote() {
            return remote;
        }

        public State state() {
            return state;
        }

        @Override
        public String toString() {
            return host.name + ":" + localPort + "<->" + remote + " " + state;
        }
    }

    private record Tuple(int port, InetSocketAddress remote) {
    }

    private final SimNet net;
    private final Host host;
    private final Random random;
    private Listener listener;
    private final Set<Integer> listening = new HashSet<>();
    private final Map<Tuple, Conn> conns = new LinkedHashMap<>();
    private long nextId = 1;
    private int nextEphemeral = EPHEMERAL_LOW;

    TcpStack(SimNet net, Host host, Random random) {
        this.net = net;
        this.host = host;
        this.random = random;
    }

    void listener(Listener l) {
        listener = l;
    }

    /** Accepts connections on {@code port} (the socket stays open for connects from the same port). */
    void listen(int port) {
        listening.add(port);
    }

    /** Connections held now (any state). */
    public int connections() {
        return conns.size();
    }

    /**
     * Opens a connection from {@code localPort} (0: an ephemeral port) to {@code remote}, or
     * returns null when that 4-tuple is in use (EADDRINUSE).
     */
    Conn connect(long now, int localPort, InetSocketAddress remote) {
        if (localPort == 0) {
            do {
                localPort = nextEphemeral;
                nextEphemeral = nextEphemeral == 60999 ? EPHEMERAL_LOW : nextEphemeral + 1;
            } while (listening.contains(localPort) || conns.containsKey(new Tuple(localPort, remote)));
        }
        Tuple t = new Tuple(localPort, remote);
        if (conns.containsKey(t)) {
            return null;
        }
        Conn c = new Conn(nextId++, localPort, remote, true, iss());
        c.state = State.SYN_SENT;
        conns.put(t, c);
        sendSyn(now, c);
        return c;
    }

    private long iss() {
        return random.nextInt(1 << 30);
    }

    private void sendSyn(long now, Conn c) {
        if (c.state == State.SYN_SENT) {
            send(c, TcpSegment.control(TcpSegment.SYN, c.iss, 0));
        } else {
            send(c, TcpSegment.control(TcpSegment.SYN | TcpSegment.ACK, c.iss, c.rcvNxt));
        }
        if (c.rtoAt == Timers.NEVER) {
            c.rto = SYN_RTO;
            c.rtoAt = now + c.rto;
        }
    }

    /** Queues {@code bytes} on an established connection; false if it cannot carry them. */
    boolean write(long now, Conn c, byte[] bytes) {
        if (c.state != State.ESTABLISHED || c.finSent || !alive(c)) {
            return false;
        }
        for (int off = 0; off < bytes.length; off += MSS) {
            byte[] chunk = java.util.Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + MSS));
            TcpSegment s = new TcpSegment(TcpSegment.ACK, c.sndNxt, c.rcvNxt, chunk);
            c.sndNxt += chunk.length;
            c.unacked.add(s);
            send(c, s);
        }
        arm(now, c);
        return true;
    }

    /** Half-closes: a FIN after the queued bytes. */
    void close(long now, Conn c) {
        if (c.finSent || !alive(c)) {
            return;
        }
        if (c.state != State.ESTABLISHED) {
            abort(now, c);
            return;
        }
        c.finSent = true;
        TcpSegment s = TcpSegment.control(TcpSegment.FIN | TcpSegment.ACK, c.sndNxt, c.rcvNxt);
        c.sndNxt++;
        c.unacked.add(s);
        send(c, s);
        arm(now, c);
    }

    /** Forgets the connection at once; a synchronized one gets an RST (SO_LINGER 0). No callback. */
    void abort(long now, Conn c) {
        if (conns.remove(new Tuple(c.localPort, c.remote)) != c) {
            return;
        }
        if (c.state != State.SYN_SENT) {
            send(c, TcpSegment.control(TcpSegment.RST, c.sndNxt, 0));
        }
    }

    boolean alive(Conn c) {
        return conns.get(new Tuple(c.localPort, c.remote)) == c;
    }

    private void arm(long now, Conn c) {
        if (c.rtoAt == Timers.NEVER && !c.unacked.isEmpty()) {
            c.rto = RTO;
            c.rtoAt = now + c.rto;
        }
    }

    private void send(Conn c, TcpSegment s) {
        net.sendTcp(host, new InetSocketAddress(host.ip, c.localPort), c.remote, s);
    }

    private void sendRaw(int port, InetSocketAddress to, TcpSegment s) {
        net.sendTcp(host, new InetSocketAddress(host.ip, port), to, s);
    }

    /** A segment from {@code from} arrived at our {@code port}. */
    void receive(long now, int port, InetSocketAddress from, TcpSegment seg) {
        Tuple t = new Tuple(port, from);
        Conn c = conns.get(t);
        if (c == null) {
            if (seg.has(TcpSegment.RST)) {
                return;
            }
            if (seg.isOpening() && listening.contains(port)) {
                Conn p = new Conn(nextId++, port, from, false, iss());
                p.state = State.SYN_RECEIVED;
                p.rcvNxt = seg.seq() + 1;
                conns.put(t, p);
                sendSyn(now, p);
                return;
            }
            // RFC 9293 §3.10.7.1: no socket, answer with a reset.
            if (seg.has(TcpSegment.ACK)) {
                sendRaw(port, from, TcpSegment.control(TcpSegment.RST, seg.ack(), 0));
            } else {
                sendRaw(port, from, TcpSegment.control(TcpSegment.RST | TcpSegment.ACK, 0, seg.seq() + seg.length()));
            }
            return;
        }
        if (seg.has(TcpSegment.RST)) {
            onReset(now, t, c, seg);
            return;
        }
        switch (c.state) {
            case SYN_SENT -> {
                if (seg.has(TcpSegment.SYN) && seg.has(TcpSegment.ACK)) {
                    if (seg.ack() != c.sndNxt) {
                        sendRaw(port, from, TcpSegment.control(TcpSegment.RST, seg.ack(), 0));
                        return;
                    }
                    c.rcvNxt = seg.seq() + 1;
                    establish(c, seg.ack());
                    send(c, TcpSegment.control(TcpSegment.ACK, c.sndNxt, c.rcvNxt));
                    listener.connected(now, c);
                } else if (seg.has(TcpSegment.SYN)) {
                    // Simultaneous open (RFC 9293 §3.5, figure 7): both SYNs crossed.
                    c.rcvNxt = seg.seq() + 1;
                    c.state = State.SYN_RECEIVED;
                    c.rtoAt = Timers.NEVER;
                    sendSyn(now, c);
                }
            }
            case SYN_RECEIVED -> {
                if (!seg.has(TcpSegment.ACK)) {
                    if (seg.has(TcpSegment.SYN)) {
                        send(c, TcpSegment.control(TcpSegment.SYN | TcpSegment.ACK, c.iss, c.rcvNxt));
                    }
                    return;
                }
                if (seg.ack() != c.sndNxt) {
                    sendRaw(port, from, TcpSegment.control(TcpSegment.RST, seg.ack(), 0));
                    return;
                }
                establish(c, seg.ack());
                if (seg.has(TcpSegment.SYN)) {
                    send(c, TcpSegment.control(TcpSegment.ACK, c.sndNxt, c.rcvNxt));
                }
                if (c.active) {
                    listener.connected(now, c);
                } else {
                    listener.accepted(now, c);
                }
                if (!seg.has(TcpSegment.SYN) && alive(c)) {
                    established(now, c, seg);
                }
            }
            case ESTABLISHED -> {
                if (seg.has(TcpSegment.SYN)) {
                    send(c, TcpSegment.control(TcpSegment.ACK, c.sndNxt, c.rcvNxt));
                    return;
                }
                established(now, c, seg);
            }
            default -> throw new IllegalStateException();
        }
    }

    private void establish(Conn c, long ack) {
        c.state = State.ESTABLISHED;
        c.sndUna = ack;
        c.rtoAt = Timers.NEVER;
        c.retries = 0;
    }

    private void onReset(long now, Tuple t, Conn c, TcpSegment seg) {
        if (c.state == State.SYN_SENT) {
            if (!seg.has(TcpSegment.ACK) || seg.ack() != c.sndNxt) {
                return; // RFC 9293 §3.10.7.3: not for this SYN
            }
            conns.remove(t);
            listener.connectFailed(now, c, true);
            return;
        }
        conns.remove(t);
        if (c.state == State.ESTABLISHED) {
            listener.reset(now, c);
        } else if (c.active) {
            listener.connectFailed(now, c, true);
        }
    }

    private void established(long now, Conn c, TcpSegment seg) {
        if (seg.has(TcpSegment.ACK) && seg.ack() > c.sndUna && seg.ack() <= c.sndNxt) {
            c.sndUna = seg.ack();
            while (!c.unacked.isEmpty() && c.unacked.peek().seq() + c.unacked.peek().length() <= c.sndUna) {
                c.unacked.poll();
            }
            c.retries = 0;
            c.rtoAt = Timers.NEVER;
            arm(now, c);
        }
        if (seg.length() == 0) {
            closeIfDone(c);
            return;
        }
        if (seg.seq() != c.rcvNxt || c.finReceived) {
            send(c, TcpSegment.control(TcpSegment.ACK, c.sndNxt, c.rcvNxt)); // duplicate or out of order: re-ACK
            return;
        }
        c.rcvNxt += seg.data().length;
        boolean fin = seg.has(TcpSegment.FIN);
        if (fin) {
            c.rcvNxt++;
            c.finReceived = true;
        }
        send(c, TcpSegment.control(TcpSegment.ACK, c.sndNxt, c.rcvNxt));
        if (seg.data().length > 0) {
            listener.data(now, c, seg.data());
        }
        if (fin && alive(c)) {
            listener.finished(now, c);
        }
        closeIfDone(c);
    }

    private void closeIfDone(Conn c) {
        if (c.finSent && c.finReceived && c.unacked.isEmpty()) {
            conns.remove(new Tuple(c.localPort, c.remote));
        }
    }

    long nextTimeout() {
        long next = Timers.NEVER;
        for (Conn c : conns.values()) {
            next = Math.min(next, c.rtoAt);
        }
        return next;
    }

    void timeout(long now) {
        for (Conn c : new ArrayList<>(conns.values())) {
            if (now < c.rtoAt || !alive(c)) {
                continue;
            }
            if (++c.retries > MAX_RETRIES) {
                conns.remove(new Tuple(c.localPort, c.remote));
                if (c.state == State.ESTABLISHED) {
                    listener.reset(now, c);
                } else if (c.active) {
                    listener.connectFailed(now, c, false);
                }
                continue;
            }
            c.rto = Math.min(c.rto * 2, 30_000_000_000L);
            c.rtoAt = now + c.rto;
            if (c.state == State.ESTABLISHED) {
                for (TcpSegment s : c.unacked) {
                    send(c, new TcpSegment(s.flags(), s.seq(), c.rcvNxt, s.data()));
                }
            } else {
                sendSyn(now, c);
            }
        }
    }
}
