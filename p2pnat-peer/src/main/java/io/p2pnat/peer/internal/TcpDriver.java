package io.p2pnat.peer.internal;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.Introduction;
import io.p2pnat.core.peer.PeerAgent;
import io.p2pnat.core.stream.StreamFramer;
import io.p2pnat.core.tcp.StreamSetup;
import io.p2pnat.core.tcp.TcpAction;
import io.p2pnat.core.tcp.TcpPunch;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * The TCP side of a peer on one thread: a listening socket and a server connection on the
 * punching port (SO_REUSEADDR + SO_REUSEPORT, RFC 5128 §3.4), TCP registration and keepalive,
 * and the {@link TcpPunch} connector of each TCP introduction: connect attempts, accepted
 * connections, the stream relay, stream authentication, hand-over of the winning stream.
 */
public final class TcpDriver implements AutoCloseable {
    private static final long KEEPALIVE = 15_000_000_000L;
    private static final long AUTH_TIMEOUT = 5_000_000_000L;

    /** Where winners and failures go (called on this driver's thread). */
    public interface Sink {
        /**
         * The chosen stream. {@code early}: the end-to-end channel of the introduction and the
         * handshake that rode on the stream's authentication ({@link EarlyHandshake#settle()};
         * null: the peer has no identity key).
         */
        void connected(long dialId, io.p2pnat.core.peer.ConnectionInfo info, SocketChannel channel, byte[] alreadyRead,
                       Introduction intro, EarlyHandshake early);

        void failed(long dialId, String reason);

        void registered(InetSocketAddress tcpPublic);

        void registrationFailed(String reason);
    }

    /** A TCP introduction in progress. */
    static final class Punch {
        final TcpPunch connector;
        final long dialId;
        final Introduction intro;

        Punch(TcpPunch connector, long dialId) {
            this.connector = connector;
            this.dialId = dialId;
            this.intro = connector.introduction();
        }
    }

    private final Selector selector;
    private final ServerSocketChannel listener;
    private final int port;
    private final InetSocketAddress server;
    private final List<InetSocketAddress> privateEndpoints;
    private final String localId;
    private final Function<Function<PeerAgent, Object>, Object> agentCall;
    private final Sink sink;
    private final Random random = new SecureRandom();
    private final io.p2pnat.core.secure.Identity identity;
    /** The end-to-end channel of each introduction being punched (one per introduction, shared by its streams). */
    private final Map<Long, io.p2pnat.core.secure.SecureChannel> secures = new java.util.HashMap<>();

    /** The introduction's secure channel, made on first use; null without an identity or a peer key. */
    private io.p2pnat.core.secure.SecureChannel secureFor(Introduction intro) {
        if (identity == null || intro.remoteKey() == null) {
            return null;
        }
        return secures.computeIfAbsent(intro.introId(), id -> new io.p2pnat.core.secure.SecureChannel(intro.dialer(), identity,
                intro.remoteKey(), ByteBuffer.allocate(8).putLong(intro.introId()).array()));
    }

    /** The Noise handshake on the streams' authentication (see {@link StreamHandshake}). */
    private final io.p2pnat.core.tcp.StreamHandshake handshakes = new io.p2pnat.core.tcp.StreamHandshake() {
        @Override
        public byte[] offer(Introduction intro) {
            io.p2pnat.core.secure.SecureChannel sc = secureFor(intro);
            return sc == null || sc.established() || !intro.dialer() ? null : sc.firstMessage();
        }

        @Override
        public byte[] answer(Introduction intro, byte[] firstMessage) {
            io.p2pnat.core.secure.SecureChannel sc = secureFor(intro);
            try {
                return sc == null ? null : sc.onHandshake(firstMessage);
            } catch (io.p2pnat.core.secure.SecureChannel.SecureChannelException e) {
                return null; // not the key the server vouched for: the stream's handshake decides
            }
        }

        @Override
        public void answered(Introduction intro, byte[] answer) {
            // Kept, not read now: reading it is key work, and on this thread it would hold back the
            // other streams' answers past the hairpin grace (§3.3.2). It is read at hand-over.
            answers.putIfAbsent(intro.introId(), answer.clone());
        }
    };

    /** The listener's answer per introduction, as its streams' authentication brought it (dialer side). */
    private final Map<Long, byte[]> answers = new java.util.HashMap<>();

    /**
     * The end-to-end channel of a chosen stream, with the peer's answer its authentication
     * brought (null: none); {@link #settle()} reads the answer, off the driver's thread.
     */
    public record EarlyHandshake(io.p2pnat.core.secure.SecureChannel secure, byte[] answer) {
        /** The channel, established when the answer authenticates; else as it was (the stream's handshake follows). */
        public io.p2pnat.core.secure.SecureChannel settle() {
            if (answer != null && !secure.established()) {
                try {
                    secure.onHandshake(answer);
                } catch (io.p2pnat.core.secure.SecureChannel.SecureChannelException e) {
                    // not the vouched key: the handshake on the stream refuses it with the right cause
                }
            }
            return secure;
        }
    }
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final Map<Long, Punch> punches = new HashMap<>();
    private final Map<SelectionKey, TcpStream> streams = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private long nextStreamId = 1;

    private SocketChannel control;
    private final StreamFramer controlDecoder = new StreamFramer(StreamFramer.Mode.STUN);
    private TransactionId registerTid;
    private long keepaliveDue = Timers.NEVER;
    private long reconnectDue = Timers.NEVER;
    private boolean everRegistered;

    /**
     * @param agentCall runs a function on the UDP agent's thread and returns its result
     */
    public TcpDriver(int port, InetSocketAddress server, List<InetSocketAddress> privateUdpEndpoints, String localId,
                     Function<Function<PeerAgent, Object>, Object> agentCall, Sink sink) throws IOException {
        this(port, server, privateUdpEndpoints, localId, agentCall, sink, null);
    }

    /**
     * As above; with {@code identity} (null: none) the Noise handshake of each introduction rides
     * on its streams' authentication ({@link StreamHandshake}), one round trip sooner.
     */
    public TcpDriver(int port, InetSocketAddress server, List<InetSocketAddress> privateUdpEndpoints, String localId,
                     Function<Function<PeerAgent, Object>, Object> agentCall, Sink sink,
                     io.p2pnat.core.secure.Identity identity) throws IOException {
        this.identity = identity;
        this.selector = Selector.open();
        this.listener = ServerSocketChannel.open();
        listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        listener.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        try {
            listener.bind(new InetSocketAddress(port), 64);
        } catch (IOException e) {
            listener.close();
            selector.close();
            throw new IOException("cannot listen on TCP port " + port + ": " + e.getMessage(), e);
        }
        this.port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        listener.configureBlocking(false);
        listener.register(selector, SelectionKey.OP_ACCEPT);
        this.server = server;
        List<InetSocketAddress> privs = new ArrayList<>();
        privateUdpEndpoints.forEach(p -> privs.add(new InetSocketAddress(p.getAddress(), this.port)));
        this.privateEndpoints = List.copyOf(privs);
        this.localId = localId;
        this.agentCall = agentCall;
        this.sink = sink;
        this.thread = new Thread(this::loop, "p2pnat-tcp-" + localId);
        this.thread.setDaemon(true);
    }

    public int port() {
        return port;
    }

    public List<InetSocketAddress> privateEndpoints() {
        return privateEndpoints;
    }

    /** Starts the loop and registers over TCP with the server. */
    public void start() {
        commands.add(this::connectControl);
        thread.start();
    }

    /** Starts punching for a TCP introduction the UDP agent received. */
    public void introduce(long dialId, Introduction intro, long setupOrigin, long deadline, long rttNanos,
                          long punchBudget, boolean relay) {
        commands.add(() -> {
            long now = System.nanoTime();
            TcpPunch p = new TcpPunch(intro, now, deadline, rttNanos, punchBudget, relay);
            p.measureSetupFrom(setupOrigin);
            Punch punch = new Punch(p, dialId);
            punches.put(intro.introId(), punch);
            // The handshake's key work (an ephemeral key; the dialer's first message) happens now,
            // not on the first stream to connect: that would hold back its hello, and a hairpin
            // stream could then win the race against the private one (§3.3.2).
            handshakes.offer(intro);
            p.start(now);
            runActions(punch, now);
        });
        selector.wakeup();
    }

    // --- loop -----------------------------------------------------------------------------

    private void loop() {
        while (running) {
            try {
                Runnable r;
                while ((r = commands.poll()) != null) {
                    r.run();
                }
                long now = System.nanoTime();
                long next = timers(now);
                long waitMs = next == Timers.NEVER ? 1000 : Math.max(1, Math.min(1000, (next - now + 999_999) / 1_000_000));
                selector.select(waitMs);
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (k.isValid()) {
                        handle(k);
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (!running) {
                    return;
                }
                // One bad stream must not stop the driver: it was closed in handle(); carry on.
            }
        }
    }

    private long timers(long now) {
        long next = Timers.NEVER;
        if (now >= keepaliveDue) {
            keepaliveDue = Timers.NEVER;
            sendControl(StunMethod.KEEPALIVE);
        }
        if (now >= reconnectDue) {
            reconnectDue = Timers.NEVER;
            connectControl();
        }
        next = Math.min(next, Math.min(keepaliveDue, reconnectDue));
        for (TcpStream s : new ArrayList<>(streams.values())) {
            if (!s.handedOver && s.deadline > 0 && now >= s.deadline) {
                if (s.kind == TcpStream.Kind.ATTEMPT && !s.connected && s.punch != null) {
                    drop(s);
                    s.punch.connector.onConnectResult(now, s.attemptId, false, false);
                    runActions(s.punch, now);
                } else {
                    drop(s);
                }
            } else if (!s.handedOver && s.deadline > 0) {
                next = Math.min(next, s.deadline);
            }
        }
        for (Punch p : new ArrayList<>(punches.values())) {
            if (now >= p.connector.nextTimeout()) {
                p.connector.onTimeout(now);
                runActions(p, now);
            }
            next = Math.min(next, p.connector.nextTimeout());
        }
        return next;
    }

    private void handle(SelectionKey k) {
        if (k.channel() == listener) {
            accept();
            return;
        }
        if (k.channel() == control) {
            readControl();
            return;
        }
        TcpStream s = streams.get(k);
        if (s == null) {
            k.cancel();
            return;
        }
        long now = System.nanoTime();
        try {
            if (k.isConnectable()) {
                finishConnect(s, k, now);
                return;
            }
            if (k.isReadable()) {
                read(s, now);
            }
            if (k.isValid() && k.isWritable()) {
                flushWrites(s, k);
            }
        } catch (IOException e) {
            failStream(s, now);
        }
    }

    // --- control connection to the server -------------------------------------------------

    private void connectControl() {
        try {
            SocketChannel ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            ch.bind(new InetSocketAddress(port));
            ch.configureBlocking(true);
            ch.socket().connect(server, 4000);
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            control = ch;
            ch.register(selector, SelectionKey.OP_READ);
            sendControl(StunMethod.REGISTER);
        } catch (IOException e) {
            control = null;
            if (!everRegistered) {
                sink.registrationFailed("cannot open TCP to " + Endpoints.format(server) + ": " + e.getMessage());
            }
            reconnectDue = System.nanoTime() + 5_000_000_000L;
        }
    }

    private void sendControl(int method) {
        if (control == null) {
            return;
        }
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder b = StunMessage.builder(method, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, localId);
        if (method == StunMethod.REGISTER) {
            privateEndpoints.forEach(p -> b.addXorAddress(StunAttributeType.TCP_PRIVATE_ENDPOINT, p));
            registerTid = tid;
        }
        byte[] bytes = (byte[]) agentCall.apply(agent -> agent.signForServer(b));
        if (bytes == null) {
            return;
        }
        try {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                if (control.write(buf) == 0) {
                    Thread.onSpinWait();
                }
            }
        } catch (IOException e) {
            controlLost();
        }
    }

    private void readControl() {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        try {
            int n = control.read(buf);
            if (n < 0) {
                controlLost();
                return;
            }
            controlDecoder.feed(buf.array(), 0, n);
            byte[] raw;
            while ((raw = controlDecoder.next()) != null) {
                StunMessage m = StunMessage.decode(raw);
                onControlMessage(m);
            }
        } catch (IOException | StreamFramer.StreamFormatException | StunParseException e) {
            controlLost();
        }
    }

    private void onControlMessage(StunMessage m) {
        boolean authentic = (Boolean) agentCall.apply(agent -> agent.fromServer(m));
        if (m.method() == StunMethod.REGISTER && m.transactionId().equals(registerTid)) {
            if (m.messageClass() == StunClass.SUCCESS_RESPONSE && authentic) {
                InetSocketAddress mapped = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
                agentCall.apply(agent -> {
                    agent.setTcpEndpoints(mapped, privateEndpoints);
                    return null;
                });
                everRegistered = true;
                keepaliveDue = System.nanoTime() + KEEPALIVE;
                sink.registered(mapped);
            } else if (m.messageClass() == StunClass.ERROR_RESPONSE && !everRegistered) {
                sink.registrationFailed("server refused TCP registration: " + m.errorCode().orElse(0) + " "
                        + m.errorReason().orElse(""));
            }
        } else if (m.method() == StunMethod.KEEPALIVE && authentic) {
            keepaliveDue = System.nanoTime() + KEEPALIVE;
        }
    }

    private void controlLost() {
        closeQuietly(control);
        control = null;
        if (!everRegistered) {
            sink.registrationFailed("the server closed the TCP connection (no TCP support?)");
        }
        reconnectDue = System.nanoTime() + 5_000_000_000L;
    }

    // --- punching ---------------------------------------------------------------------------

    private void runActions(Punch p, long now) {
        TcpAction a;
        while ((a = p.connector.poll()) != null) {
            if (a instanceof TcpAction.Connect c) {
                attempt(p, c, now);
            } else if (a instanceof TcpAction.AttachRelay) {
                attachRelay(p, now);
            } else if (a instanceof TcpAction.Select sel) {
                select(p, sel);
            } else if (a instanceof TcpAction.Fail f) {
                finish(p);
                if (p.dialId >= 0) {
                    sink.failed(p.dialId, f.reason());
                }
            }
        }
    }

    private void attempt(Punch p, TcpAction.Connect c, long now) {
        try {
            SocketChannel ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            ch.bind(new InetSocketAddress(port));
            ch.configureBlocking(false);
            TcpStream s = new TcpStream(nextStreamId++, TcpStream.Kind.ATTEMPT, ch, c.remote());
            s.punch = p;
            s.setup = new StreamSetup(StreamSetup.Kind.ATTEMPT, p.intro, localId, random).withHandshake(handshakes);
            s.attemptId = c.attemptId();
            s.deadline = now + c.timeoutNanos();
            boolean done = ch.connect(c.remote());
            SelectionKey k = ch.register(selector, done ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT);
            streams.put(k, s);
            if (done) {
                established(s, k, now);
            }
        } catch (IOException e) {
            p.connector.onConnectResult(now, c.attemptId(), false, e instanceof ConnectException);
        }
    }

    private void finishConnect(TcpStream s, SelectionKey k, long now) {
        try {
            s.channel.finishConnect();
            established(s, k, now);
        } catch (IOException e) {
            drop(s);
            if (s.punch != null) {
                boolean refused = e instanceof ConnectException && String.valueOf(e.getMessage()).contains("refused");
                s.punch.connector.onConnectResult(now, s.attemptId, false, refused);
                runActions(s.punch, now);
            }
        }
    }

    private void established(TcpStream s, SelectionKey k, long now) throws IOException {
        s.connected = true;
        s.deadline = now + AUTH_TIMEOUT;
        s.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        k.interestOps(SelectionKey.OP_READ);
        if (s.kind == TcpStream.Kind.ATTEMPT) {
            s.punch.connector.onConnectResult(now, s.attemptId, true, false);
            queue(s, k, s.setup.onEstablished());
        } else if (s.kind == TcpStream.Kind.RELAY) {
            StunMessage.Builder b = s.setup.relayAttachRequest();
            byte[] bytes = (byte[]) agentCall.apply(agent -> agent.signForServer(b));
            s.deadline = now + 15_000_000_000L;
            queue(s, k, bytes);
        }
    }

    private void attachRelay(Punch p, long now) {
        try {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            TcpStream s = new TcpStream(nextStreamId++, TcpStream.Kind.RELAY, ch, server);
            s.punch = p;
            s.setup = new StreamSetup(StreamSetup.Kind.RELAY, p.intro, localId, random).withHandshake(handshakes);
            s.deadline = now + 10_000_000_000L;
            boolean done = ch.connect(server);
            SelectionKey k = ch.register(selector, done ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT);
            streams.put(k, s);
            if (done) {
                established(s, k, now);
            }
        } catch (IOException e) {
            // no relay then; the punch goes on until its deadline
        }
    }

    private void accept() {
        try {
            SocketChannel ch;
            while ((ch = listener.accept()) != null) {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                TcpStream s = new TcpStream(nextStreamId++, TcpStream.Kind.ACCEPTED, ch,
                        (InetSocketAddress) ch.getRemoteAddress());
                s.setup = new StreamSetup(StreamSetup.Kind.ACCEPTED, null, localId, random).withHandshake(handshakes);
                s.connected = true;
                s.deadline = System.nanoTime() + AUTH_TIMEOUT;
                streams.put(ch.register(selector, SelectionKey.OP_READ), s);
            }
        } catch (IOException e) {
            // a failed accept loses one connection attempt; the peer retries
        }
    }

    private void read(TcpStream s, long now) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        int n = s.channel.read(buf);
        if (n < 0) {
            failStream(s, now);
            return;
        }
        s.decoder.feed(buf.array(), 0, n);
        SelectionKey k = s.channel.keyFor(selector);
        try {
            byte[] raw;
            while (!s.handedOver && (raw = s.decoder.next()) != null) {
                onStreamMessage(s, k, raw, now);
            }
        } catch (StreamFramer.StreamFormatException | StunParseException e) {
            failStream(s, now);
        }
    }

    private void onStreamMessage(TcpStream s, SelectionKey k, byte[] raw, long now) throws StunParseException {
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
            queue(s, k, reply);
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

    private void select(Punch p, TcpAction.Select sel) {
        TcpStream chosen = null;
        for (TcpStream s : streams.values()) {
            if (s.id == sel.streamId()) {
                chosen = s;
            }
        }
        if (chosen == null) {
            return;
        }
        try {
            SelectionKey k = chosen.channel.keyFor(selector);
            if (p.intro.dialer()) {
                chosen.writes.add(ByteBuffer.wrap(chosen.setup.nomination()));
            }
            // Hand over: finish pending writes blocking, then the application owns the channel.
            k.cancel();
            streams.remove(k);
            selector.selectNow();
            chosen.channel.configureBlocking(true);
            for (ByteBuffer b : chosen.writes) {
                while (b.hasRemaining()) {
                    chosen.channel.write(b);
                }
            }
            chosen.handedOver = true;
            io.p2pnat.core.secure.SecureChannel secure = secureFor(p.intro);
            byte[] answer = answers.get(p.intro.introId());
            finish(p);
            sink.connected(p.dialId, sel.info(), chosen.channel, chosen.decoder.drainRemainder(), p.intro,
                    secure == null ? null : new EarlyHandshake(secure, answer));
        } catch (IOException e) {
            closeQuietly(chosen.channel);
            finish(p);
            if (p.dialId >= 0) {
                sink.failed(p.dialId, "the chosen stream broke: " + e.getMessage());
            }
        }
    }

    /** The introduction is decided: close its other streams (with RST, no TIME_WAIT). */
    private void finish(Punch p) {
        punches.remove(p.intro.introId());
        secures.remove(p.intro.introId());
        answers.remove(p.intro.introId());
        for (TcpStream s : new ArrayList<>(streams.values())) {
            if (s.punch == p) {
                drop(s);
            }
        }
    }

    private void failStream(TcpStream s, long now) {
        drop(s);
        if (s.punch != null && !s.punch.connector.isDone()) {
            if (s.kind == TcpStream.Kind.ATTEMPT && !s.connected) {
                s.punch.connector.onConnectResult(now, s.attemptId, false, false);
            } else {
                s.punch.connector.onStreamFailed(now, s.remote);
            }
            runActions(s.punch, now);
        }
    }

    private void queue(TcpStream s, SelectionKey k, byte[] bytes) {
        s.writes.add(ByteBuffer.wrap(bytes));
        flushWrites(s, k);
    }

    private void flushWrites(TcpStream s, SelectionKey k) {
        try {
            while (!s.writes.isEmpty()) {
                ByteBuffer b = s.writes.peek();
                s.channel.write(b);
                if (b.hasRemaining()) {
                    k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    return;
                }
                s.writes.poll();
            }
            if (k.isValid()) {
                k.interestOps(SelectionKey.OP_READ);
            }
        } catch (IOException e) {
            failStream(s, System.nanoTime());
        }
    }

    private void drop(TcpStream s) {
        SelectionKey k = s.channel.keyFor(selector);
        if (k != null) {
            streams.remove(k);
            k.cancel();
        }
        try {
            if (s.connected && s.channel.isOpen()) {
                s.channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        closeQuietly(s.channel);
    }

    private static void closeQuietly(java.nio.channels.Channel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (TcpStream s : streams.values()) {
            closeQuietly(s.channel);
        }
        closeQuietly(control);
        closeQuietly(listener);
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
