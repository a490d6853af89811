package io.p2pnat.sim;

import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.Introduction;
import io.p2pnat.core.peer.PeerAgent;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.secure.SecureChannel;
import io.p2pnat.core.stream.StreamFramer;
import io.p2pnat.core.tcp.StreamAuth;
import io.p2pnat.core.tcp.StreamHandshake;
import io.p2pnat.core.tcp.StreamSetup;
import io.p2pnat.core.tcp.TcpAction;
import io.p2pnat.core.tcp.TcpPunch;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The TCP side of a simulated peer, as p2pnat-peer's {@code TcpDriver} does it over real sockets,
 * here over a {@link TcpStack}: a listening socket and a server connection on the punching port
 * (the UDP port number, SO_REUSEPORT semantics), TCP registration signed by the {@link PeerAgent},
 * and for each {@link PeerEvent.TcpIntroduced} the real {@link TcpPunch}: connect attempts,
 * accepted streams (named by their first message's USERNAME), RELAY-ATTACH streams to the server,
 * {@link StreamAuth} on each (carrying the Noise handshake, one secure channel per introduction),
 * selection and nomination. The chosen stream is handed over secure: {@link #send} writes sealed
 * records ([2-byte length][nonce, ciphertext, tag], as p2pnat-peer's SecureStream) and
 * {@link #received} opens them.
 */
public final class TcpPeer implements TcpStack.Listener {
    private static final long KEEPALIVE = 15_000_000_000L;
    private static final long AUTH_TIMEOUT = 5_000_000_000L;
    private static final long RECONNECT = 5_000_000_000L;

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

    private enum Kind { CONTROL, ATTEMPT, ACCEPTED, RELAY }

    private static final class Punch {
        final TcpPunch connector;
        final long dialId;
        final Introduction intro;

        Punch(TcpPunch connector, long dialId) {
            this.connector = connector;
            this.dialId = dialId;
            this.intro = connector.introduction();
        }
    }

    private static final class Stream {
        final long id;
        final Kind kind;
        final TcpStack.Conn conn;
        final InetSocketAddress remote;
        Punch punch;
        long attemptId = -1;
        long deadline;
        boolean connected;
        /** The stream's protocol before the hand-over (not for the control connection). */
        StreamSetup setup;
        final StreamFramer decoder = new StreamFramer(StreamFramer.Mode.STUN);
        boolean handedOver;
        boolean inputEnded;
        /** After the hand-over: the introduction's end-to-end channel (null: none, bytes go in the clear). */
        SecureChannel secure;
        /** Stream bytes after the hand-over, as they came (sealed records when {@link #secure}). */
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        /** On a secure stream: the records opened so far, and how many received bytes they took. */
        final ByteArrayOutputStream opened = new ByteArrayOutputStream();
        int openedUpTo;
        boolean broken;

        Stream(long id, Kind kind, TcpStack.Conn conn) {
            this.id = id;
            this.kind = kind;
            this.conn = conn;
            this.remote = conn.remote();
        }
    }

    private final PeerHost host;
    private final TcpStack stack;
    private final PeerAgent agent;
    private final PeerConfig config;
    private final int port;
    private final List<InetSocketAddress> privateEndpoints;
    private final Random random;
    private final Map<Long, Punch> punches = new LinkedHashMap<>();
    private final Map<TcpStack.Conn, Stream> streams = new LinkedHashMap<>();
    private final List<Outcome> outcomes = new ArrayList<>();
    private final Map<Long, Stream> chosen = new LinkedHashMap<>();
    private long nextStreamId = 1;
    private boolean started;
    private Stream control;
    private final StreamFramer controlDecoder = new StreamFramer(StreamFramer.Mode.STUN);
    private TransactionId registerTid;
    private long keepaliveDue = Timers.NEVER;
    private long reconnectDue = Timers.NEVER;
    private InetSocketAddress tcpPublic;
    private String registrationError;
    /** The end-to-end channel of each introduction being punched, shared by its streams (as TcpDriver keeps them). */
    private final Map<Long, SecureChannel> secures = new java.util.HashMap<>();
    /** The listener's answer per introduction, as a stream's authentication brought it (dialer side). */
    private final Map<Long, byte[]> answers = new java.util.HashMap<>();
    /** The Noise handshake on the streams' authentication, as p2pnat-peer's TcpDriver carries it. */
    private final StreamHandshake handshakes = new StreamHandshake() {
        @Override
        public byte[] offer(Introduction intro) {
            SecureChannel sc = secureFor(intro);
            return sc == null || sc.established() || !intro.dialer() ? null : sc.firstMessage();
        }

        @Override
        public byte[] answer(Introduction intro, byte[] firstMessage) {
            SecureChannel sc = secureFor(intro);
            try {
                return sc == null ? null : sc.onHandshake(firstMessage);
            } catch (SecureChannel.SecureChannelException e) {
                return null; // not the key the server vouched for
            }
        }

        @Override
        public void answered(Introduction intro, byte[] answer) {
            answers.putIfAbsent(intro.introId(), answer.clone());
        }
    };

    TcpPeer(PeerHost host, TcpStack stack, PeerAgent agent, PeerConfig config, int port, Random random) {
        this.host = host;
        this.stack = stack;
        this.agent = agent;
        this.config = config;
        this.port = port;
        this.random = random;
        List<InetSocketAddress> privs = new ArrayList<>();
        config.privateEndpoints().forEach(p -> privs.add(new InetSocketAddress(p.getAddress(), port)));
        this.privateEndpoints = List.copyOf(privs);
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

    /**
     * Application bytes received on the chosen stream of introduction {@code introId} after the
     * hand-over: on a secure stream the records that arrived whole and opened, in order (one
     * that does not open ends the reading, as a real peer closes the stream).
     */
    public byte[] received(long introId) {
        Stream s = chosen.get(introId);
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
        Stream s = chosen.get(introId);
        return s == null ? new byte[0] : s.received.toByteArray();
    }

    /** Writes application bytes on the chosen stream of {@code introId}: one sealed record when the stream is secure. */
    public boolean send(long introId, byte[] bytes) {
        Stream s = chosen.get(introId);
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

    /** The introduction's secure channel, made on first use; null without an identity or a key for the peer. */
    private SecureChannel secureFor(Introduction intro) {
        if (config.identity() == null || intro.remoteKey() == null) {
            return null;
        }
        return secures.computeIfAbsent(intro.introId(), id -> new SecureChannel(intro.dialer(), config.identity(),
                intro.remoteKey(), java.nio.ByteBuffer.allocate(8).putLong(intro.introId()).array(), random));
    }

    // --- driving (from PeerHost) ----------------------------------------------------------

    /** The UDP agent registered: open the server connection from the punching port. */
    void start(long now) {
        if (!started) {
            started = true;
            connectControl(now);
        }
    }

    void introduce(long now, PeerEvent.TcpIntroduced t) {
        boolean relay = config.relayFallback();
        long budget = relay ? config.punchBudget().toNanos() * 2 : Long.MAX_VALUE / 4;
        TcpPunch p = new TcpPunch(t.intro(), now, t.deadline(), agent.serverRttNanos(), budget, relay);
        p.measureSetupFrom(t.setupOrigin());
        Punch punch = new Punch(p, t.dialId());
        punches.put(t.intro().introId(), punch);
        p.start(now);
        runActions(punch, now);
    }

    long nextTimeout() {
        long next = Math.min(keepaliveDue, reconnectDue);
        for (Stream s : streams.values()) {
            if (!s.handedOver && s.deadline > 0) {
                next = Math.min(next, s.deadline);
            }
        }
        for (Punch p : punches.values()) {
            next = Math.min(next, p.connector.nextTimeout());
        }
        return next;
    }

    void timeout(long now) {
        if (now >= keepaliveDue) {
            keepaliveDue = Timers.NEVER;
            sendControl(StunMethod.KEEPALIVE);
        }
        if (now >= reconnectDue) {
            reconnectDue = Timers.NEVER;
            connectControl(now);
        }
        for (Stream s : new ArrayList<>(streams.values())) {
            if (!s.handedOver && s.deadline > 0 && now >= s.deadline && streams.get(s.conn) == s) {
                drop(now, s);
                if (s.kind == Kind.ATTEMPT && !s.connected && s.punch != null) {
                    s.punch.connector.onConnectResult(now, s.attemptId, false, false);
                    runActions(s.punch, now);
                }
            }
        }
        for (Punch p : new ArrayList<>(punches.values())) {
            if (now >= p.connector.nextTimeout()) {
                p.connector.onTimeout(now);
                runActions(p, now);
            }
        }
    }

    // --- control connection -----------------------------------------------------------------

    private void connectControl(long now) {
        TcpStack.Conn c = stack.connect(now, port, config.server());
        if (c == null) {
            reconnectDue = now + RECONNECT;
            return;
        }
        control = new Stream(nextStreamId++, Kind.CONTROL, c);
        streams.put(c, control);
    }

    private void sendControl(int method) {
        if (control == null || !control.connected) {
            return;
        }
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder b = StunMessage.builder(method, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, config.peerId());
        if (method == StunMethod.REGISTER) {
            privateEndpoints.forEach(p -> b.addXorAddress(StunAttributeType.TCP_PRIVATE_ENDPOINT, p));
            registerTid = tid;
        }
        byte[] bytes = agent.signForServer(b);
        if (bytes != null) {
            stack.write(host.net.now(), control.conn, bytes);
        }
    }

    private void onControlData(long now, byte[] bytes) {
        controlDecoder.feed(bytes, 0, bytes.length);
        try {
            byte[] raw;
            while ((raw = controlDecoder.next()) != null) {
                StunMessage m = StunMessage.decode(raw);
                boolean authentic = agent.fromServer(m);
                if (m.method() == StunMethod.REGISTER && m.transactionId().equals(registerTid)) {
                    if (m.messageClass() == StunClass.SUCCESS_RESPONSE && authentic) {
                        InetSocketAddress mapped = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
                        agent.setTcpEndpoints(mapped, privateEndpoints);
                        tcpPublic = mapped;
                        keepaliveDue = now + KEEPALIVE;
                        host.net.recordEvent(host.name + " tcp registered " + mapped);
                    } else if (m.messageClass() == StunClass.ERROR_RESPONSE) {
                        registrationError = m.errorCode().orElse(0) + " " + m.errorReason().orElse("");
                    }
                } else if (m.method() == StunMethod.KEEPALIVE && authentic) {
                    keepaliveDue = now + KEEPALIVE;
                }
            }
        } catch (StreamFramer.StreamFormatException | StunParseException e) {
            controlLost(now);
        }
    }

    private void controlLost(long now) {
        if (control != null) {
            drop(now, control);
            control = null;
        }
        reconnectDue = now + RECONNECT;
    }

    // --- punching ---------------------------------------------------------------------------

    private void runActions(Punch p, long now) {
        TcpAction a;
        while ((a = p.connector.poll()) != null) {
            if (a instanceof TcpAction.Connect c) {
                attempt(p, c, now);
            } else if (a instanceof TcpAction.AttachRelay) {
                TcpStack.Conn conn = stack.connect(now, 0, config.server());
                if (conn != null) {
                    Stream s = new Stream(nextStreamId++, Kind.RELAY, conn);
                    s.punch = p;
                    s.setup = new StreamSetup(StreamSetup.Kind.RELAY, p.intro, config.peerId(), random).withHandshake(handshakes);
                    s.deadline = now + 10_000_000_000L;
                    streams.put(conn, s);
                }
            } else if (a instanceof TcpAction.Select sel) {
                select(now, p, sel);
            } else if (a instanceof TcpAction.Fail f) {
                finish(now, p);
                outcomes.add(new Outcome(now, p.dialId, null, f.reason(), false));
                host.net.recordEvent(host.name + " tcp failed");
            }
        }
    }

    private void attempt(Punch p, TcpAction.Connect c, long now) {
        TcpStack.Conn conn = stack.connect(now, port, c.remote());
        if (conn == null) {
            // The 4-tuple is taken (an accepted stream from there): as a refusal, retried after a gap.
            p.connector.onConnectResult(now, c.attemptId(), false, true);
            return;
        }
        Stream s = new Stream(nextStreamId++, Kind.ATTEMPT, conn);
        s.punch = p;
        s.setup = new StreamSetup(StreamSetup.Kind.ATTEMPT, p.intro, config.peerId(), random).withHandshake(handshakes);
        s.attemptId = c.attemptId();
        s.deadline = now + c.timeoutNanos();
        streams.put(conn, s);
    }

    private void established(long now, Stream s) {
        s.connected = true;
        s.deadline = now + AUTH_TIMEOUT;
        if (s.kind == Kind.CONTROL) {
            s.deadline = 0;
            sendControl(StunMethod.REGISTER);
        } else if (s.kind == Kind.ATTEMPT) {
            s.punch.connector.onConnectResult(now, s.attemptId, true, false);
            stack.write(now, s.conn, s.setup.onEstablished());
        } else if (s.kind == Kind.RELAY) {
            StunMessage.Builder b = s.setup.relayAttachRequest();
            byte[] bytes = agent.signForServer(b);
            s.deadline = now + 15_000_000_000L;
            if (bytes != null) {
                stack.write(now, s.conn, bytes);
            }
        }
    }

    private void onStreamData(long now, Stream s, byte[] bytes) {
        s.decoder.feed(bytes, 0, bytes.length);
        try {
            byte[] raw;
            while (!s.handedOver && streams.get(s.conn) == s && (raw = s.decoder.next()) != null) {
                onStreamMessage(now, s, raw);
            }
        } catch (StreamFramer.StreamFormatException | StunParseException e) {
            failStream(now, s);
        }
    }

    private void onStreamMessage(long now, Stream s, byte[] raw) throws StunParseException {
        boolean attached = s.setup.relayAttached();
        List<byte[]> replies;
        try {
            replies = s.setup.onMessage(raw, this::stillPunching);
        } finally {
            if (s.punch == null && s.setup.introduction() != null) {
                s.punch = punches.get(s.setup.introduction().introId()); // an accepted stream named its introduction
            }
        }
        for (byte[] reply : replies) {
            stack.write(now, s.conn, reply);
        }
        if (s.setup.relayAttached() && !attached) {
            s.deadline = now + AUTH_TIMEOUT;
        }
        if (s.setup.takeAuthenticated()) {
            s.punch.connector.onAuthenticated(now, s.id, s.remote, s.setup.isRelay());
            runActions(s.punch, now);
        }
        if (s.setup.takeNominated() && !s.handedOver) {
            s.punch.connector.onNominated(now, s.id, s.remote, s.setup.isRelay());
            runActions(s.punch, now);
        }
    }

    /** The introduction of an id we are still punching, or null. */
    private Introduction stillPunching(long introId) {
        Punch p = punches.get(introId);
        return p == null || p.connector.isDone() ? null : p.intro;
    }

    private void select(long now, Punch p, TcpAction.Select sel) {
        Stream winner = null;
        for (Stream s : streams.values()) {
            if (s.id == sel.streamId()) {
                winner = s;
            }
        }
        if (winner == null) {
            return;
        }
        if (p.intro.dialer()) {
            stack.write(now, winner.conn, winner.setup.nomination());
        }
        winner.handedOver = true;
        SecureChannel secure = secureFor(p.intro);
        byte[] answer = answers.get(p.intro.introId());
        if (secure != null && answer != null && !secure.established()) {
            try {
                secure.onHandshake(answer);
            } catch (SecureChannel.SecureChannelException e) {
                // not the vouched key: the stream stays unsealed and the outcome says so
            }
        }
        winner.secure = secure != null && secure.established() ? secure : null;
        finish(now, p);
        byte[] rest = winner.decoder.drainRemainder();
        winner.received.write(rest, 0, rest.length);
        chosen.put(p.intro.introId(), winner);
        outcomes.add(new Outcome(now, p.dialId, sel.info(), null, winner.secure != null));
        host.net.recordEvent(host.name + " tcp selected " + sel.info().technique().wireName() + " " + sel.info().path());
    }

    /** The introduction is decided: its other streams are reset. */
    private void finish(long now, Punch p) {
        punches.remove(p.intro.introId());
        secures.remove(p.intro.introId());
        answers.remove(p.intro.introId());
        for (Stream s : new ArrayList<>(streams.values())) {
            if (s.punch == p && !s.handedOver) {
                drop(now, s);
            }
        }
    }

    private void failStream(long now, Stream s) {
        drop(now, s);
        if (s.punch != null && !s.punch.connector.isDone()) {
            if (s.kind == Kind.ATTEMPT && !s.connected) {
                s.punch.connector.onConnectResult(now, s.attemptId, false, false);
            } else {
                s.punch.connector.onStreamFailed(now, s.remote);
            }
            runActions(s.punch, now);
        }
    }

    private void drop(long now, Stream s) {
        streams.remove(s.conn);
        stack.abort(now, s.conn);
    }

    // --- TcpStack.Listener ------------------------------------------------------------------

    @Override
    public void connected(long now, TcpStack.Conn c) {
        Stream s = streams.get(c);
        if (s == null) {
            stack.abort(now, c);
            return;
        }
        established(now, s);
    }

    @Override
    public void connectFailed(long now, TcpStack.Conn c, boolean refused) {
        Stream s = streams.remove(c);
        if (s == null) {
            return;
        }
        if (s.kind == Kind.CONTROL) {
            control = null;
            reconnectDue = now + RECONNECT;
        } else if (s.kind == Kind.ATTEMPT && s.punch != null && !s.punch.connector.isDone()) {
            s.punch.connector.onConnectResult(now, s.attemptId, false, refused);
            runActions(s.punch, now);
        }
    }

    @Override
    public void accepted(long now, TcpStack.Conn c) {
        Stream s = new Stream(nextStreamId++, Kind.ACCEPTED, c);
        s.setup = new StreamSetup(StreamSetup.Kind.ACCEPTED, null, config.peerId(), random).withHandshake(handshakes);
        s.connected = true;
        s.deadline = now + AUTH_TIMEOUT;
        streams.put(c, s);
    }

    @Override
    public void data(long now, TcpStack.Conn c, byte[] bytes) {
        Stream s = streams.get(c);
        if (s == null) {
            return;
        }
        if (s.kind == Kind.CONTROL) {
            onControlData(now, bytes);
        } else if (s.handedOver) {
            s.received.write(bytes, 0, bytes.length);
        } else {
            onStreamData(now, s, bytes);
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
        Stream s = streams.get(c);
        if (s == null) {
            return;
        }
        if (s.kind == Kind.CONTROL) {
            controlLost(now);
        } else if (s.handedOver) {
            s.inputEnded = true;
        } else {
            failStream(now, s);
        }
    }
}
