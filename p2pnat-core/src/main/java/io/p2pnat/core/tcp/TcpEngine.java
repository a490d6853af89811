package io.p2pnat.core.tcp;

import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.Introduction;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.core.stream.StreamFramer;
import io.p2pnat.wire.StunParseException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The TCP side of a peer as one sans-I/O state machine (RFC 5128 §3.4, §3.5, §6.1), shared by
 * every driver (NIO sockets in p2pnat-peer, the simulator's TCP stack): the control connection
 * ({@link ControlLink}: registration, keepalive, reconnection), and for each TCP introduction a
 * {@link TcpPunch} with its streams: connect attempts from the punching port, accepted streams
 * (named by their first message), the server's stream relay (RELAY-ATTACH), {@link StreamSetup}
 * on each (with the Noise handshake riding on {@link StreamAuth}), selection and nomination, and
 * the hand-over of the chosen stream.
 *
 * <p>The driver feeds socket events and time ({@code now} in nanoseconds, every method) and
 * executes what {@link #poll()} returns; it owns no protocol state. Stream ids are the engine's:
 * it names them in {@link TcpCommand.Connect}, and {@link #accepted} returns one.
 */
public final class TcpEngine {
    static final long AUTH_TIMEOUT = 5_000_000_000L;
    static final long RELAY_CONNECT_TIMEOUT = 10_000_000_000L;
    static final long RELAY_ATTACH_TIMEOUT = 15_000_000_000L;

    /**
     * What the engine is told once.
     *
     * @param port              the punching port (the UDP port number), bound by every attempt
     * @param server            the rendezvous server's TCP endpoint
     * @param privateEndpoints  our private addresses, with {@code port}
     * @param localId           our peer id
     * @param identity          our identity key (null: none; no handshake rides on the streams)
     * @param relayFallback     whether a punch may fall back to the server's stream relay
     * @param punchBudgetNanos  the UDP punch budget; direct TCP attempts get twice that before the relay
     */
    public record Settings(int port, InetSocketAddress server, List<InetSocketAddress> privateEndpoints, String localId,
                           Identity identity, boolean relayFallback, long punchBudgetNanos) {
        public Settings {
            privateEndpoints = List.copyOf(privateEndpoints);
        }

        /** Our private UDP endpoints with the punching port instead. */
        public static List<InetSocketAddress> onPort(List<InetSocketAddress> privateUdpEndpoints, int port) {
            List<InetSocketAddress> privs = new ArrayList<>();
            privateUdpEndpoints.forEach(p -> privs.add(new InetSocketAddress(p.getAddress(), port)));
            return List.copyOf(privs);
        }
    }

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
        final StreamSetup.Kind kind;
        final InetSocketAddress remote;
        final StreamSetup setup;
        final StreamFramer decoder = new StreamFramer(StreamFramer.Mode.STUN);
        Punch punch;
        long attemptId = -1;
        long deadline;
        boolean connected;

        Stream(long id, StreamSetup.Kind kind, InetSocketAddress remote, StreamSetup setup) {
            this.id = id;
            this.kind = kind;
            this.remote = remote;
            this.setup = setup;
        }
    }

    private final Settings settings;
    private final TcpServerLink link;
    private final Random random;
    private final IntroSecrets secrets;
    private final ControlLink control;
    private final ArrayDeque<TcpCommand> commands = new ArrayDeque<>();
    private final Map<Long, Punch> punches = new LinkedHashMap<>();
    private final Map<Long, Stream> streams = new LinkedHashMap<>();
    private long nextStreamId = 1;
    private boolean started;

    /** @param random for transaction ids and ephemeral keys (a secure one outside the simulator) */
    public TcpEngine(Settings settings, TcpServerLink link, Random random) {
        this.settings = settings;
        this.link = link;
        this.random = random;
        this.secrets = new IntroSecrets(settings.identity(), random);
        this.control = new ControlLink(settings.port(), settings.server(), settings.privateEndpoints(), settings.localId(),
                link, random, commands, () -> nextStreamId++);
    }

    /** The next command, or null. */
    public TcpCommand poll() {
        return commands.poll();
    }

    /** Opens the control connection (once; the UDP agent has registered). */
    public void start(long now) {
        if (!started) {
            started = true;
            control.connect();
        }
    }

    /**
     * Starts punching for a TCP introduction the agent reported ({@code dialId} negative: an
     * incoming one). {@code rttNanos}: the round trip to the server, which times the attempts.
     */
    public void introduce(long now, long dialId, Introduction intro, long setupOrigin, long deadline, long rttNanos) {
        introduce(now, dialId, intro, setupOrigin, deadline, rttNanos, true);
    }

    /** As above; {@code relayAllowed} false: direct paths only for this one (a probe for a direct TCP path). */
    public void introduce(long now, long dialId, Introduction intro, long setupOrigin, long deadline, long rttNanos,
                          boolean relayAllowed) {
        boolean relay = settings.relayFallback() && relayAllowed;
        long budget = relay ? settings.punchBudgetNanos() * 2 : Long.MAX_VALUE / 4;
        TcpPunch p = new TcpPunch(intro, now, deadline, rttNanos, budget, relay);
        p.measureSetupFrom(setupOrigin);
        Punch punch = new Punch(p, dialId);
        punches.put(intro.introId(), punch);
        // The handshake's key work (an ephemeral key; the dialer's first message) happens now,
        // not on the first stream to connect: that would hold back its hello, and a hairpin
        // stream could then win the race against the private one (§3.3.2).
        secrets.offer(intro);
        p.start(now);
        runActions(punch, now);
    }

    // --- socket events ----------------------------------------------------------------------

    /** A {@link TcpCommand.Connect} succeeded. */
    public void connected(long now, long streamId) {
        if (control.is(streamId)) {
            control.connected();
            return;
        }
        Stream s = streams.get(streamId);
        if (s == null) {
            return;
        }
        s.connected = true;
        s.deadline = now + AUTH_TIMEOUT;
        if (s.kind == StreamSetup.Kind.ATTEMPT) {
            s.punch.connector.onConnectResult(now, s.attemptId, true, false);
            commands.add(new TcpCommand.Write(s.id, s.setup.onEstablished()));
        } else if (s.kind == StreamSetup.Kind.RELAY) {
            byte[] bytes = link.signForServer(s.setup.relayAttachRequest());
            s.deadline = now + RELAY_ATTACH_TIMEOUT;
            if (bytes != null) {
                commands.add(new TcpCommand.Write(s.id, bytes));
            }
        }
    }

    /**
     * A {@link TcpCommand.Connect} failed; the driver has released the socket. {@code refused}: an
     * RST answered the SYN (or the 4-tuple is taken); {@code why}: for reports.
     */
    public void connectFailed(long now, long streamId, boolean refused, String why) {
        if (control.is(streamId)) {
            control.connectFailed(now, why);
            return;
        }
        Stream s = streams.remove(streamId);
        if (s != null && s.kind == StreamSetup.Kind.ATTEMPT && s.punch != null && !s.punch.connector.isDone()) {
            s.punch.connector.onConnectResult(now, s.attemptId, false, refused);
            runActions(s.punch, now);
        }
    }

    /** A peer connected to our listening port; returns the stream's id. */
    public long accepted(long now, InetSocketAddress remote) {
        Stream s = new Stream(nextStreamId++, StreamSetup.Kind.ACCEPTED, remote,
                new StreamSetup(StreamSetup.Kind.ACCEPTED, null, settings.localId(), random).withHandshake(secrets));
        s.connected = true;
        s.deadline = now + AUTH_TIMEOUT;
        streams.put(s.id, s);
        return s.id;
    }

    /** Bytes read from a stream. */
    public void data(long now, long streamId, byte[] bytes, int off, int len) {
        if (control.is(streamId)) {
            control.data(now, bytes, off, len);
            return;
        }
        Stream s = streams.get(streamId);
        if (s == null) {
            return;
        }
        s.decoder.feed(bytes, off, len);
        try {
            byte[] raw;
            while (streams.get(streamId) == s && (raw = s.decoder.next()) != null) {
                onMessage(now, s, raw);
            }
        } catch (StreamFramer.StreamFormatException | StunParseException e) {
            failStream(now, s);
        }
    }

    /** A stream ended (FIN, RST) or broke (a read or write failed). */
    public void closed(long now, long streamId) {
        if (control.is(streamId)) {
            control.lost(now);
            return;
        }
        Stream s = streams.get(streamId);
        if (s != null) {
            failStream(now, s);
        }
    }

    // --- time -----------------------------------------------------------------------------

    public void timeout(long now) {
        control.timeout(now);
        for (Stream s : new ArrayList<>(streams.values())) {
            if (s.deadline > 0 && now >= s.deadline && streams.get(s.id) == s) {
                drop(s);
                if (s.kind == StreamSetup.Kind.ATTEMPT && !s.connected && s.punch != null) {
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

    public long nextTimeout() {
        long next = control.nextTimeout();
        for (Stream s : streams.values()) {
            if (s.deadline > 0) {
                next = Math.min(next, s.deadline);
            }
        }
        for (Punch p : punches.values()) {
            next = Math.min(next, p.connector.nextTimeout());
        }
        return next;
    }

    // --- punching ---------------------------------------------------------------------------

    private void runActions(Punch p, long now) {
        TcpAction a;
        while ((a = p.connector.poll()) != null) {
            if (a instanceof TcpAction.Connect c) {
                Stream s = open(p, StreamSetup.Kind.ATTEMPT, c.remote(), now + c.timeoutNanos());
                s.attemptId = c.attemptId();
                commands.add(new TcpCommand.Connect(s.id, TcpCommand.Purpose.ATTEMPT, settings.port(), c.remote()));
            } else if (a instanceof TcpAction.AttachRelay) {
                Stream s = open(p, StreamSetup.Kind.RELAY, settings.server(), now + RELAY_CONNECT_TIMEOUT);
                commands.add(new TcpCommand.Connect(s.id, TcpCommand.Purpose.RELAY, 0, settings.server()));
            } else if (a instanceof TcpAction.Select sel) {
                select(p, sel);
            } else if (a instanceof TcpAction.Fail f) {
                finish(p);
                commands.add(new TcpCommand.Failed(p.dialId, f.reason()));
            }
        }
    }

    private Stream open(Punch p, StreamSetup.Kind kind, InetSocketAddress remote, long deadline) {
        Stream s = new Stream(nextStreamId++, kind, remote,
                new StreamSetup(kind, p.intro, settings.localId(), random).withHandshake(secrets));
        s.punch = p;
        s.deadline = deadline;
        streams.put(s.id, s);
        return s;
    }

    private void onMessage(long now, Stream s, byte[] raw) throws StunParseException {
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
            commands.add(new TcpCommand.Write(s.id, reply));
        }
        if (s.setup.relayAttached() && !attached) {
            s.deadline = now + AUTH_TIMEOUT;
        }
        if (s.setup.takeAuthenticated()) {
            s.punch.connector.onAuthenticated(now, s.id, s.remote, s.setup.isRelay());
            runActions(s.punch, now);
        }
        if (s.setup.takeNominated() && streams.get(s.id) == s) {
            s.punch.connector.onNominated(now, s.id, s.remote, s.setup.isRelay());
            runActions(s.punch, now);
        }
    }

    /** The introduction of an id we are still punching, or null. */
    private Introduction stillPunching(long introId) {
        Punch p = punches.get(introId);
        return p == null || p.connector.isDone() ? null : p.intro;
    }

    private void select(Punch p, TcpAction.Select sel) {
        Stream chosen = streams.get(sel.streamId());
        if (chosen == null) {
            return;
        }
        if (p.intro.dialer()) {
            commands.add(new TcpCommand.Write(chosen.id, chosen.setup.nomination()));
        }
        streams.remove(chosen.id);
        EarlyHandshake early = secrets.take(p.intro);
        finish(p);
        commands.add(new TcpCommand.HandOver(chosen.id, p.dialId, sel.info(), p.intro, early,
                chosen.decoder.drainRemainder()));
    }

    /** The introduction is decided: its other streams are reset (no TIME_WAIT). */
    private void finish(Punch p) {
        punches.remove(p.intro.introId());
        secrets.forget(p.intro.introId());
        for (Stream s : new ArrayList<>(streams.values())) {
            if (s.punch == p) {
                drop(s);
            }
        }
    }

    private void failStream(long now, Stream s) {
        drop(s);
        if (s.punch != null && !s.punch.connector.isDone()) {
            if (s.kind == StreamSetup.Kind.ATTEMPT && !s.connected) {
                s.punch.connector.onConnectResult(now, s.attemptId, false, false);
            } else {
                s.punch.connector.onStreamFailed(now, s.remote);
            }
            runActions(s.punch, now);
        }
    }

    private void drop(Stream s) {
        streams.remove(s.id);
        commands.add(new TcpCommand.Abort(s.id));
    }
}
