package io.p2pnat.peer.internal;

import io.netty.channel.ChannelInitializer;
import io.netty.incubator.codec.quic.QuicChannel;
import io.netty.incubator.codec.quic.QuicStreamChannel;
import io.netty.incubator.codec.quic.QuicStreamType;
import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.PeerAgent;
import io.p2pnat.core.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Reliable streams over sessions: QUIC connections carried in the sessions' sealed datagrams, on
 * whatever path each session has (direct, relayed, moved after a repair). A session has at most
 * one QUIC connection per role: the one this peer started (client) and the one the other peer
 * started (server); a stream opens on whichever is up. Runs on the peer's I/O thread, as a pump of
 * the {@link UdpDriver}: packets in from {@link #onPacket}, out through the {@link PeerAgent}.
 */
public final class SessionStreams implements UdpDriver.Pump {
    /** Receives streams the other peer opened (on the I/O thread). */
    public interface Listener {
        void incoming(long sessionId, QuicStream stream);
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARMED = new java.util.concurrent.atomic.AtomicBoolean();
    private final PeerAgent agent;
    private final Clock clock;
    private final Listener listener;
    private final Map<Long, Links> bySession = new HashMap<>();
    private final Map<Long, String> peers = new HashMap<>();
    private java.util.concurrent.Executor io;
    private long nextTimeout = Timers.NEVER;

    private static final class Links {
        QuicLink client;
        QuicLink server;
        final List<Runnable> waiting = new ArrayList<>();
        final List<QuicStream> streams = new ArrayList<>();
        /** Why the last attempt to get a connection up failed. */
        String failure;
    }

    /**
     * Loads QUIC (its native library, TLS contexts) and runs one handshake between two links in
     * memory, on a background thread: the first stream of a session then costs its round trip,
     * not class loading and cold code.
     */
    public static void warmUp() {
        if (WARMED.getAndSet(true)) {
            return; // once per process
        }
        Thread t = new Thread(() -> {
            try {
                QuicLink.warmUp();
            } catch (RuntimeException | LinkageError e) {
                // QUIC cannot load here: openStream will say so
            }
        }, "p2pnat-quic-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    public SessionStreams(PeerAgent agent, Clock clock, Listener listener) {
        this.agent = agent;
        this.clock = clock;
        this.listener = listener;
    }

    /** How application threads reach the I/O thread; set once by the driver's owner. */
    public void setIo(java.util.concurrent.Executor io) {
        this.io = io;
    }

    /** A session is up (its peer's id names it in stream errors). */
    public void sessionUp(long sessionId, String peer) {
        peers.put(sessionId, peer);
    }

    /** A stream packet from the session (see {@link io.p2pnat.core.peer.PeerEvent.StreamPacket}). */
    public void onPacket(long sessionId, byte[] packet, boolean fromClient) {
        String peer = peers.get(sessionId);
        if (peer == null) {
            return; // no such session here (closed): nothing is kept for it
        }
        Links l = bySession.computeIfAbsent(sessionId, id -> new Links());
        if (fromClient) {
            if (l.server == null || l.server.isDead()) {
                if (l.server != null) {
                    l.server.close();
                }
                l.server = null;
                try {
                    l.server = new QuicLink(sessionId, false, initializer(sessionId, l), q -> connected(l));
                } catch (LinkageError | RuntimeException e) {
                    return; // QUIC cannot load here: the packet is dropped, the peer's stream times out
                }
            }
            l.server.input(packet);
        } else if (l.client != null) {
            l.client.input(packet);
        }
    }

    /**
     * Opens a stream to the session's peer (on the I/O thread); completes {@code result} once the
     * stream exists, starting a QUIC connection first if none is up.
     */
    public void open(long sessionId, CompletableFuture<QuicStream> result) {
        String peer = peers.get(sessionId);
        if (peer == null) {
            result.completeExceptionally(new java.io.IOException("the connection is closed"));
            return;
        }
        Links l = bySession.computeIfAbsent(sessionId, id -> new Links());
        QuicChannel up = up(l);
        if (up != null) {
            create(l, up, peer, result);
            return;
        }
        l.waiting.add(() -> {
            QuicChannel q = up(l);
            if (q == null) {
                result.completeExceptionally(new java.io.IOException(l.failure != null ? l.failure
                        : "no QUIC connection to '" + peer + "'"));
            } else {
                create(l, q, peer, result);
            }
        });
        if (l.client == null || l.client.isDead()) {
            if (l.client != null) {
                l.client.close();
            }
            QuicLink c;
            try {
                c = new QuicLink(sessionId, true, initializer(sessionId, l), q -> connected(l));
            } catch (LinkageError | RuntimeException e) {
                // No QUIC on this platform (its native library is for linux-x86_64): say so, keep the peer.
                l.client = null;
                failWaiting(l, "QUIC cannot run here (" + e + "): streams need its native library, datagrams work");
                return;
            }
            l.client = c;
            c.connecting().addListener(f -> {
                if (!f.isSuccess()) {
                    failWaiting(l, "QUIC handshake with '" + peer + "' failed: " + f.cause());
                }
            });
        }
    }

    private QuicChannel up(Links l) {
        QuicChannel q = l.client != null ? l.client.connection() : null;
        return q != null ? q : l.server != null ? l.server.connection() : null;
    }

    private void create(Links l, QuicChannel q, String peer, CompletableFuture<QuicStream> result) {
        QuicStream s = new QuicStream(this::run, peer, null);
        q.createStream(QuicStreamType.BIDIRECTIONAL, s).addListener(f -> {
            if (f.isSuccess()) {
                track(l, s);
                result.complete(s);
            } else {
                result.completeExceptionally(new java.io.IOException("cannot open a stream to '" + peer + "': " + f.cause()));
            }
        });
    }

    /** Kept while it runs (to fail it with its session, and to hand over its reads when idle). */
    private void track(Links l, QuicStream s) {
        l.streams.add(s);
        s.finished().thenRun(() -> run(() -> l.streams.remove(s)));
    }

    private void connected(Links l) {
        List<Runnable> w = List.copyOf(l.waiting);
        l.waiting.clear();
        w.forEach(Runnable::run);
    }

    private void failWaiting(Links l, String why) {
        l.failure = why;
        List<Runnable> w = List.copyOf(l.waiting);
        l.waiting.clear();
        w.forEach(Runnable::run); // each finds no connection and fails
    }

    private ChannelInitializer<QuicStreamChannel> initializer(long sessionId, Links l) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(QuicStreamChannel ch) {
                QuicStream[] s = new QuicStream[1];
                s[0] = new QuicStream(SessionStreams.this::run, peers.getOrDefault(sessionId, "?"),
                        () -> listener.incoming(sessionId, s[0]));
                ch.pipeline().addLast(s[0]);
                track(l, s[0]);
            }
        };
    }

    /** The session ended: its connections close and its streams fail. */
    public void sessionClosed(long sessionId, String why) {
        peers.remove(sessionId);
        Links l = bySession.remove(sessionId);
        if (l == null) {
            return;
        }
        for (QuicStream s : l.streams) {
            s.fail("connection closed: " + why);
        }
        if (l.client != null) {
            l.client.close();
        }
        if (l.server != null) {
            l.server.close();
        }
        failWaiting(l, why);
    }

    /** The peer closes: every connection ends (freeing quiche's native state) and its streams fail. */
    public void closeAll(String why) {
        for (Long id : List.copyOf(bySession.keySet())) {
            sessionClosed(id, why);
        }
    }

    /** Runs {@code task} on the I/O thread, then pumps. */
    private void run(Runnable task) {
        io.execute(task);
    }

    // --- the driver's pump --------------------------------------------------------------------

    @Override
    public boolean pump() {
        if (bySession.isEmpty()) {
            nextTimeout = Timers.NEVER;
            return false;
        }
        long now = clock.nanoTime();
        long next = Timers.NEVER;
        boolean sent = false;
        for (Links l : bySession.values()) {
            for (QuicLink link : new QuicLink[] {l.client, l.server}) {
                if (link == null) {
                    continue;
                }
                long[] count = {0};
                long delay = link.pump((id, packet, asClient) -> {
                    count[0]++;
                    agent.sendStreamPacket(clock.nanoTime(), id, packet, asClient);
                });
                sent |= count[0] > 0;
                if (delay >= 0) {
                    next = Math.min(next, now + delay);
                }
            }
        }
        nextTimeout = next;
        return sent;
    }

    @Override
    public void idle() {
        for (Links l : bySession.values()) {
            for (QuicStream s : l.streams) {
                s.handOver();
            }
        }
    }

    @Override
    public long nextTimeout() {
        return nextTimeout;
    }
}
