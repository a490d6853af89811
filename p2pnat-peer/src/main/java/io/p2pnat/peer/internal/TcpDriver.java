package io.p2pnat.peer.internal;

import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.Introduction;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.core.tcp.EarlyHandshake;
import io.p2pnat.core.tcp.TcpCommand;
import io.p2pnat.core.tcp.TcpEngine;
import io.p2pnat.core.tcp.TcpServerLink;
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
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Drives a {@link TcpEngine} over NIO sockets on one thread: a listening socket and the engine's
 * connections on the punching port (SO_REUSEADDR + SO_REUSEPORT, RFC 5128 §3.4). It turns socket
 * events into engine calls and carries out the engine's commands; the protocol (registration,
 * punching, stream authentication, selection) is the engine's.
 */
public final class TcpDriver implements AutoCloseable {
    private static final int CONTROL_CONNECT_TIMEOUT_MS = 4000;

    /** Where winners and failures go (called on this driver's thread). */
    public interface Sink {
        /**
         * The chosen stream. {@code early}: the end-to-end channel of the introduction and the
         * handshake that rode on the stream's authentication ({@link EarlyHandshake#settle()};
         * null: the peer has no identity key).
         */
        void connected(long dialId, ConnectionInfo info, SocketChannel channel, byte[] alreadyRead,
                       Introduction intro, EarlyHandshake early);

        void failed(long dialId, String reason);

        void registered(InetSocketAddress tcpPublic);

        void registrationFailed(String reason);
    }

    private final Selector selector;
    private final ServerSocketChannel listener;
    private final int port;
    private final List<InetSocketAddress> privateEndpoints;
    private final TcpEngine engine;
    private final Sink sink;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Map<Long, TcpStream> streams = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private boolean everRegistered;

    /**
     * @param serverLink    the UDP agent's server session (signing and checking without a thread hop)
     * @param identity      ours (null: none); with it the Noise handshake of each introduction rides on
     *                      its streams' authentication, one round trip sooner
     * @param relayFallback whether punches may fall back to the server's stream relay
     * @param punchBudget   the UDP punch budget in nanoseconds (TCP attempts get twice that before the relay)
     */
    public TcpDriver(int port, InetSocketAddress server, List<InetSocketAddress> privateUdpEndpoints, String localId,
                     TcpServerLink serverLink, Sink sink, Identity identity,
                     boolean relayFallback, long punchBudget) throws IOException {
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
        this.privateEndpoints = TcpEngine.Settings.onPort(privateUdpEndpoints, this.port);
        this.sink = sink;
        this.engine = new TcpEngine(new TcpEngine.Settings(this.port, server, privateEndpoints, localId, identity,
                relayFallback, punchBudget), serverLink, new SecureRandom());
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
        tasks.add(() -> engine.start(System.nanoTime()));
        thread.start();
    }

    /** Starts punching for a TCP introduction the UDP agent received. */
    public void introduce(long dialId, Introduction intro, long setupOrigin, long deadline, long rttNanos) {
        introduce(dialId, intro, setupOrigin, deadline, rttNanos, true);
    }

    /** As above; {@code relayAllowed} false: no fallback to the server's stream relay for this one. */
    public void introduce(long dialId, Introduction intro, long setupOrigin, long deadline, long rttNanos, boolean relayAllowed) {
        tasks.add(() -> engine.introduce(System.nanoTime(), dialId, intro, setupOrigin, deadline, rttNanos, relayAllowed));
        selector.wakeup();
    }

    // --- loop -----------------------------------------------------------------------------

    private void loop() {
        while (running) {
            try {
                Runnable r;
                while ((r = tasks.poll()) != null) {
                    r.run();
                    pump(System.nanoTime());
                }
                long now = System.nanoTime();
                engine.timeout(now);
                pump(now);
                long next = engine.nextTimeout();
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
                // One bad stream must not stop the driver: it was closed; carry on.
            }
        }
    }

    private void handle(SelectionKey k) {
        if (k.channel() == listener) {
            accept();
            pump(System.nanoTime());
            return;
        }
        TcpStream s = (TcpStream) k.attachment();
        if (s == null || streams.get(s.id) != s) {
            k.cancel();
            return;
        }
        long now = System.nanoTime();
        try {
            if (k.isConnectable()) {
                finishConnect(s, k, now);
            } else {
                if (k.isReadable()) {
                    read(s, now);
                }
                if (k.isValid() && k.isWritable()) {
                    flush(s, k, now);
                }
            }
        } catch (IOException e) {
            engine.closed(now, s.id);
        }
        pump(now);
    }

    private void accept() {
        try {
            SocketChannel ch;
            while ((ch = listener.accept()) != null) {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                long id = engine.accepted(System.nanoTime(), (InetSocketAddress) ch.getRemoteAddress());
                TcpStream s = new TcpStream(id, ch, false);
                s.connected = true;
                streams.put(id, s);
                ch.register(selector, SelectionKey.OP_READ, s);
            }
        } catch (IOException e) {
            // a failed accept loses one connection attempt; the peer retries
        }
    }

    private void finishConnect(TcpStream s, SelectionKey k, long now) {
        try {
            s.channel.finishConnect();
            established(s, k, now);
        } catch (IOException e) {
            release(s, false);
            boolean refused = e instanceof ConnectException && String.valueOf(e.getMessage()).contains("refused");
            engine.connectFailed(now, s.id, refused, String.valueOf(e.getMessage()));
        }
    }

    private void established(TcpStream s, SelectionKey k, long now) throws IOException {
        s.connected = true;
        s.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        k.interestOps(SelectionKey.OP_READ);
        engine.connected(now, s.id);
    }

    private void read(TcpStream s, long now) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        int n = s.channel.read(buf);
        if (n < 0) {
            engine.closed(now, s.id);
            return;
        }
        engine.data(now, s.id, buf.array(), 0, n);
    }

    // --- the engine's commands ------------------------------------------------------------

    private void pump(long now) {
        TcpCommand c;
        while ((c = engine.poll()) != null) {
            if (c instanceof TcpCommand.Connect cc) {
                if (cc.purpose() == TcpCommand.Purpose.CONTROL) {
                    connectControl(cc);
                } else {
                    connect(cc, now);
                }
            } else if (c instanceof TcpCommand.Write w) {
                write(w, now);
            } else if (c instanceof TcpCommand.Abort a) {
                TcpStream s = streams.get(a.streamId());
                if (s != null) {
                    release(s, true);
                }
            } else if (c instanceof TcpCommand.Close cl) {
                TcpStream s = streams.get(cl.streamId());
                if (s != null) {
                    release(s, false);
                }
            } else if (c instanceof TcpCommand.HandOver h) {
                handOver(h);
            } else if (c instanceof TcpCommand.Registered r) {
                everRegistered = true;
                sink.registered(r.tcpPublic());
            } else if (c instanceof TcpCommand.RegistrationFailed f) {
                if (!everRegistered) {
                    sink.registrationFailed(f.reason());
                }
            } else if (c instanceof TcpCommand.Failed f) {
                if (f.dialId() >= 0) {
                    sink.failed(f.dialId(), f.reason());
                }
            }
        }
    }

    /** The control connection, opened blocking (at most 4 s) from the punching port. */
    private void connectControl(TcpCommand.Connect c) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            ch.bind(new InetSocketAddress(c.localPort()));
            ch.configureBlocking(true);
            ch.socket().connect(c.remote(), CONTROL_CONNECT_TIMEOUT_MS);
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            TcpStream s = new TcpStream(c.streamId(), ch, true);
            s.connected = true;
            streams.put(s.id, s);
            ch.register(selector, SelectionKey.OP_READ, s);
        } catch (IOException e) {
            streams.remove(c.streamId());
            closeQuietly(ch);
            engine.connectFailed(System.nanoTime(), c.streamId(), false, e.getMessage());
            return;
        }
        engine.connected(System.nanoTime(), c.streamId());
    }

    private void connect(TcpCommand.Connect c, long now) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            if (c.localPort() != 0) {
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                ch.bind(new InetSocketAddress(c.localPort()));
            }
            ch.configureBlocking(false);
            TcpStream s = new TcpStream(c.streamId(), ch, false);
            boolean done = ch.connect(c.remote());
            SelectionKey k = ch.register(selector, done ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, s);
            streams.put(s.id, s);
            if (done) {
                established(s, k, now);
            }
        } catch (IOException e) {
            streams.remove(c.streamId());
            closeQuietly(ch);
            engine.connectFailed(now, c.streamId(), e instanceof ConnectException, String.valueOf(e.getMessage()));
        }
    }

    private void write(TcpCommand.Write w, long now) {
        TcpStream s = streams.get(w.streamId());
        if (s == null) {
            return;
        }
        if (s.control) {
            try {
                ByteBuffer buf = ByteBuffer.wrap(w.bytes());
                while (buf.hasRemaining()) {
                    if (s.channel.write(buf) == 0) {
                        Thread.onSpinWait();
                    }
                }
            } catch (IOException e) {
                engine.closed(now, s.id);
            }
            return;
        }
        s.writes.add(ByteBuffer.wrap(w.bytes()));
        flush(s, s.channel.keyFor(selector), now);
    }

    private void flush(TcpStream s, SelectionKey k, long now) {
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
            engine.closed(now, s.id);
        }
    }

    /** Hand over: finish pending writes blocking, then the application owns the channel. */
    private void handOver(TcpCommand.HandOver h) {
        TcpStream s = streams.remove(h.streamId());
        if (s == null) {
            return;
        }
        try {
            SelectionKey k = s.channel.keyFor(selector);
            if (k != null) {
                k.cancel();
            }
            selector.selectNow();
            s.channel.configureBlocking(true);
            for (ByteBuffer b : s.writes) {
                while (b.hasRemaining()) {
                    s.channel.write(b);
                }
            }
            sink.connected(h.dialId(), h.info(), s.channel, h.alreadyRead(), h.intro(), h.early());
        } catch (IOException e) {
            closeQuietly(s.channel);
            if (h.dialId() >= 0) {
                sink.failed(h.dialId(), "the chosen stream broke: " + e.getMessage());
            }
        }
    }

    /** Forgets and closes a stream's socket; {@code reset}: with an RST (SO_LINGER 0), no TIME_WAIT. */
    private void release(TcpStream s, boolean reset) {
        streams.remove(s.id);
        SelectionKey k = s.channel.keyFor(selector);
        if (k != null) {
            k.cancel();
        }
        try {
            if (reset && s.connected && s.channel.isOpen()) {
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
        for (TcpStream s : new ArrayList<>(streams.values())) {
            closeQuietly(s.channel);
        }
        closeQuietly(listener);
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
