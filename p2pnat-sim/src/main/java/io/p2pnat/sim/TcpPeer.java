package io.p2pnat.sim;

import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.PeerAgent;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.secure.SecureChannel;
import io.p2pnat.core.tcp.TcpCommand;
import io.p2pnat.core.tcp.TcpEngine;
import io.p2pnat.core.tcp.TcpServerLink;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The TCP side of a simulated peer: drives the same {@link TcpEngine} as p2pnat-peer's
 * {@code TcpDriver}, here over a {@link TcpStack} (the punching port is the UDP port number,
 * SO_REUSEPORT semantics) with the {@link PeerAgent} called directly. It only turns the stack's
 * events into engine calls and carries out the engine's commands. The chosen stream is handed
 * over secure: {@link #send} writes sealed records ([2-byte length][nonce, ciphertext, tag], as
 * p2pnat-peer's SecureStream) and {@link #received} opens them.
 */
public final class TcpPeer implements TcpStack.Listener {
    /**
     * A decided TCP introduction: the chosen stream's info, or why none was. {@code secure}: the
     * end-to-end Noise channel was up at the hand-over (the handshake rode on the stream's
     * authentication), so application bytes on the stream are sealed records from the start.
     */
    public record Outcome(long at, long dialId, ConnectionInfo info, String failure, boolean secure) {
        public boolean connected() {
            return info != null;
        }
    }

    /** A stream after the hand-over. */
    private static final class Chosen {
        final TcpStack.Conn conn;
        /** The introduction's end-to-end channel (null: none, bytes go in the clear). */
        final SecureChannel secure;
        /** Stream bytes after the hand-over, as they came (sealed records when {@link #secure}). */
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        /** On a secure stream: the records opened so far, and how many received bytes they took. */
        final ByteArrayOutputStream opened = new ByteArrayOutputStream();
        int openedUpTo;
        boolean broken;
        boolean inputEnded;

        Chosen(TcpStack.Conn conn, SecureChannel secure) {
            this.conn = conn;
            this.secure = secure;
        }
    }

    private final PeerHost host;
    private final TcpStack stack;
    private final PeerAgent agent;
    private final TcpEngine engine;
    private final Map<Long, TcpStack.Conn> conns = new HashMap<>();
    private final Map<TcpStack.Conn, Long> ids = new HashMap<>();
    private final Map<Long, Chosen> chosen = new HashMap<>();
    private final Map<TcpStack.Conn, Chosen> chosenConns = new HashMap<>();
    private final List<Outcome> outcomes = new ArrayList<>();
    private InetSocketAddress tcpPublic;
    private String registrationError;
    private Consumer<TcpCommand> tap = c -> { };

    TcpPeer(PeerHost host, TcpStack stack, PeerAgent agent, PeerConfig config, int port, Random random) {
        this.host = host;
        this.stack = stack;
        this.agent = agent;
        this.engine = new TcpEngine(new TcpEngine.Settings(port, config.server(),
                TcpEngine.Settings.onPort(config.privateEndpoints(), port), config.peerId(), config.identity(),
                config.relayFallback(), config.punchBudget().toNanos()), TcpServerLink.of(agent), random);
        stack.listener(this);
        stack.listen(port);
    }

    // --- observation ----------------------------------------------------------------------

    /** Our TCP public endpoint as the server saw it, once registered over TCP. */
    public InetSocketAddress tcpPublic() {
        return tcpPublic;
    }

    public boolean registered() {
        return tcpPublic != null;
    }

    public String registrationError() {
        return registrationError;
    }

    public List<Outcome> outcomes() {
        return List.copyOf(outcomes);
    }

    /** The first outcome (dial or incoming), or null. */
    public Outcome outcome() {
        return outcomes.isEmpty() ? null : outcomes.get(0);
    }

    /** Sees every command of this peer's engine as it is carried out (for tests). */
    public void tap(Consumer<TcpCommand> t) {
        tap = t;
    }

    /**
     * Application bytes received on the chosen stream of introduction {@code introId} after the
     * hand-over: on a secure stream the records that arrived whole and opened, in order (one
     * that does not open ends the reading, as a real peer closes the stream).
     */
    public byte[] received(long introId) {
        Chosen s = chosen.get(introId);
        if (s == null) {
            return new byte[0];
        }
        byte[] raw = s.received.toByteArray();
        if (s.secure == null) {
            return raw;
        }
        // Each record opens once (the channel refuses a replay), so what opened is kept.
        int off = s.openedUpTo;
        while (!s.broken && raw.length - off >= 2) {
            int len = (raw[off] & 0xFF) << 8 | raw[off + 1] & 0xFF;
            if (raw.length - off - 2 < len) {
                break;
            }
            byte[] p = s.secure.open(raw, off + 2, len);
            if (p == null) {
                s.broken = true;
                break;
            }
            s.opened.write(p, 0, p.length);
            off += 2 + len;
        }
        s.openedUpTo = off;
        return s.opened.toByteArray();
    }

    /** The chosen stream's bytes after the hand-over as they crossed the network (sealed records on a secure stream). */
    byte[] rawReceived(long introId) {
        Chosen s = chosen.get(introId);
        return s == null ? new byte[0] : s.received.toByteArray();
    }

    /** Writes application bytes on the chosen stream of {@code introId}: one sealed record when the stream is secure. */
    public boolean send(long introId, byte[] bytes) {
        Chosen s = chosen.get(introId);
        byte[] out = bytes;
        if (s != null && s.secure != null) {
            byte[] sealed = s.secure.seal(bytes);
            out = new byte[2 + sealed.length];
            out[0] = (byte) (sealed.length >>> 8);
            out[1] = (byte) sealed.length;
            System.arraycopy(sealed, 0, out, 2, sealed.length);
        }
        boolean ok = s != null && stack.write(host.net.now(), s.conn, out);
        host.net.touch(host);
        return ok;
    }

    // --- driving (from PeerHost) ----------------------------------------------------------

    /** The UDP agent registered: open the server connection from the punching port. */
    void start(long now) {
        engine.start(now);
        pump(now);
    }

    void introduce(long now, PeerEvent.TcpIntroduced t) {
        engine.introduce(now, t.dialId(), t.intro(), t.setupOrigin(), t.deadline(), agent.serverRttNanos());
        pump(now);
    }

    long nextTimeout() {
        return engine.nextTimeout();
    }

    void timeout(long now) {
        engine.timeout(now);
        pump(now);
    }

    // --- the engine's commands ------------------------------------------------------------

    private void pump(long now) {
        TcpCommand c;
        while ((c = engine.poll()) != null) {
            tap.accept(c);
            if (c instanceof TcpCommand.Connect cc) {
                TcpStack.Conn conn = stack.connect(now, cc.localPort(), cc.remote());
                if (conn == null) {
                    // The 4-tuple is taken (an accepted stream from there): as a refusal, retried after a gap.
                    engine.connectFailed(now, cc.streamId(), true, "the 4-tuple is in use");
                } else {
                    conns.put(cc.streamId(), conn);
                    ids.put(conn, cc.streamId());
                }
            } else if (c instanceof TcpCommand.Write w) {
                TcpStack.Conn conn = conns.get(w.streamId());
                if (conn != null) {
                    stack.write(now, conn, w.bytes());
                }
            } else if (c instanceof TcpCommand.Abort a) {
                abort(now, a.streamId());
            } else if (c instanceof TcpCommand.Close cl) {
                abort(now, cl.streamId()); // the stack forgets a lost control connection at once, as it always did
            } else if (c instanceof TcpCommand.HandOver h) {
                handOver(now, h);
            } else if (c instanceof TcpCommand.Registered r) {
                tcpPublic = r.tcpPublic();
                host.net.recordEvent(host.name + " tcp registered " + r.tcpPublic());
            } else if (c instanceof TcpCommand.RegistrationFailed f) {
                if (f.refusal() != null) {
                    registrationError = f.refusal();
                }
            } else if (c instanceof TcpCommand.Failed f) {
                outcomes.add(new Outcome(now, f.dialId(), null, f.reason(), false));
                host.net.recordEvent(host.name + " tcp failed");
            }
        }
    }

    private void abort(long now, long streamId) {
        TcpStack.Conn conn = conns.remove(streamId);
        if (conn != null) {
            ids.remove(conn);
            stack.abort(now, conn);
        }
    }

    private void handOver(long now, TcpCommand.HandOver h) {
        TcpStack.Conn conn = conns.remove(h.streamId());
        if (conn == null) {
            return;
        }
        ids.remove(conn);
        SecureChannel secure = h.early() == null ? null : h.early().settle();
        Chosen s = new Chosen(conn, secure != null && secure.established() ? secure : null);
        s.received.write(h.alreadyRead(), 0, h.alreadyRead().length);
        chosen.put(h.intro().introId(), s);
        chosenConns.put(conn, s);
        outcomes.add(new Outcome(now, h.dialId(), h.info(), null, s.secure != null));
        host.net.recordEvent(host.name + " tcp selected " + h.info().technique().wireName() + " " + h.info().path());
    }

    // --- TcpStack.Listener ------------------------------------------------------------------

    @Override
    public void connected(long now, TcpStack.Conn c) {
        Long id = ids.get(c);
        if (id == null) {
            stack.abort(now, c);
            return;
        }
        engine.connected(now, id);
        pump(now);
    }

    @Override
    public void connectFailed(long now, TcpStack.Conn c, boolean refused) {
        Long id = ids.remove(c);
        if (id == null) {
            return;
        }
        conns.remove(id);
        engine.connectFailed(now, id, refused, refused ? "refused" : "timed out");
        pump(now);
    }

    @Override
    public void accepted(long now, TcpStack.Conn c) {
        long id = engine.accepted(now, c.remote());
        conns.put(id, c);
        ids.put(c, id);
        pump(now);
    }

    @Override
    public void data(long now, TcpStack.Conn c, byte[] bytes) {
        Chosen s = chosenConns.get(c);
        if (s != null) {
            s.received.write(bytes, 0, bytes.length);
            return;
        }
        Long id = ids.get(c);
        if (id != null) {
            engine.data(now, id, bytes, 0, bytes.length);
            pump(now);
        }
    }

    @Override
    public void finished(long now, TcpStack.Conn c) {
        ended(now, c);
    }

    @Override
    public void reset(long now, TcpStack.Conn c) {
        ended(now, c);
    }

    private void ended(long now, TcpStack.Conn c) {
        Chosen s = chosenConns.get(c);
        if (s != null) {
            s.inputEnded = true;
            return;
        }
        Long id = ids.get(c);
        if (id != null) {
            engine.closed(now, id);
            pump(now);
        }
    }
}
