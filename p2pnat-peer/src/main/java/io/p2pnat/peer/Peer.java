package io.p2pnat.peer;

import io.p2pnat.core.Clock;
import io.p2pnat.core.Endpoints;
import io.p2pnat.core.PeerIds;
import io.p2pnat.core.peer.PeerAgent;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.peer.internal.LocalEndpoints;
import io.p2pnat.peer.internal.TcpDriver;
import java.nio.channels.SocketChannel;
import io.p2pnat.peer.internal.UdpDriver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A p2pnat peer: registered with a rendezvous server under an id, it dials other peers and
 * accepts their connections, getting a direct UDP path through NATs whenever one exists
 * (RFC 5128 §3.3).
 *
 * <pre>{@code
 * try (Peer alice = Peer.builder().server("192.0.2.128:20001").id("alice").start()) {
 *     Connection c = alice.dial("bob", Duration.ofSeconds(10));
 *     c.send("hello".getBytes(StandardCharsets.UTF_8));
 *     byte[] echo = c.receive(Duration.ofSeconds(2));
 *     System.out.println(c.info().technique().wireName() + " via " + c.info().via().wireName());
 * }
 * }</pre>
 */
public final class Peer implements AutoCloseable {
    private final String id;
    private final InetSocketAddress server;
    private final Duration serverTimeout;
    private final UdpDriver driver;
    private final InetSocketAddress localAddress;
    private final List<InetSocketAddress> privateEndpoints;
    private final CompletableFuture<InetSocketAddress> registered = new CompletableFuture<>();
    private final Map<Long, CompletableFuture<Connection>> dials = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<PeerInfo>> lookups = new ConcurrentHashMap<>();
    private final Map<Long, Connection> connections = new ConcurrentHashMap<>();
    private final BlockingQueue<Connection> incoming = new LinkedBlockingQueue<>();
    private volatile InetSocketAddress publicEndpoint;
    private volatile NatBehaviour nat;
    private final java.util.List<java.util.function.Consumer<NatBehaviour>> natListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private final PeerAgent agent;
    private final io.p2pnat.core.secure.Identity identity;
    private final boolean relay;
    private final Duration punchBudget;
    private TcpDriver tcp;
    private volatile InetSocketAddress tcpPublicEndpoint;
    private final CompletableFuture<InetSocketAddress> tcpRegistered = new CompletableFuture<>();
    private final Map<Long, CompletableFuture<StreamConnection>> streamDials = new ConcurrentHashMap<>();
    private final StreamInbox incomingStreams = new StreamInbox();
    /** TCP dials that probe for a direct path: no fallback to the server's stream relay. */
    private final java.util.Set<Long> directOnlyDials = ConcurrentHashMap.newKeySet();
    private final io.p2pnat.peer.internal.SessionStreams streams;

    private Peer(Builder b) throws P2pException {
        this.id = b.id;
        this.server = b.server;
        this.serverTimeout = b.serverTimeout;
        DatagramChannel ch;
        try {
            // The server's address family: an IPv6 server gets an IPv6 socket (and IPv6 endpoints).
            ch = DatagramChannel.open(b.server.getAddress() instanceof java.net.Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            // Room for a QUIC stream's bursts (quiche sends a congestion window at once) while the
            // I/O thread is busy; the kernel caps it at net.core.rmem_max / wmem_max.
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
            ch.bind(new InetSocketAddress(b.localPort));
        } catch (IOException e) {
            throw new P2pException(P2pException.Reason.IO, "cannot bind UDP port " + b.localPort + ": " + e.getMessage(), e);
        }
        try {
            this.localAddress = (InetSocketAddress) ch.getLocalAddress();
            this.privateEndpoints = LocalEndpoints.discover(localAddress, server);
            this.identity = b.identity != null ? b.identity : io.p2pnat.core.secure.Identity.generate();
            PeerConfig config = new PeerConfig(id, server, privateEndpoints, b.serverTimeout, b.listenDeadline,
                    b.relay ? b.punchBudget : Duration.ZERO, identity);
            PeerAgent.warmUp();
            io.p2pnat.peer.internal.SessionStreams.warmUp();
            this.agent = new PeerAgent(config, new SecureRandom());
            this.relay = b.relay;
            this.punchBudget = b.punchBudget;
            this.driver = new UdpDriver(ch, agent, Clock.system(), this::onEvent, "p2pnat-peer-" + id);
            this.streams = new io.p2pnat.peer.internal.SessionStreams(agent, driver.clock(), this::incomingQuicStream);
            streams.setIo(driver::execute);
            driver.setPump(streams);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new P2pException(P2pException.Reason.IO, "cannot set up UDP socket: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(java.nio.channels.Channel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** {@return a builder of a peer, with the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Whether {@code id} is a valid peer id: 1-64 letters, digits, '.', '_', '-' or '@'
     * ({@link Builder#id}, {@link #dial} and {@link #lookup} refuse others).
     *
     * @param id a peer id
     * @return true if valid
     */
    public static boolean isValidId(String id) {
        return PeerIds.isValid(id);
    }

    /** Options of a peer. */
    public static final class Builder {
        private InetSocketAddress server;
        private String id;
        private int localPort;
        private Duration serverTimeout = Duration.ofSeconds(4);
        private Duration listenDeadline = Duration.ofSeconds(30);
        private Duration punchBudget = PeerConfig.DEFAULT_PUNCH_BUDGET;
        private boolean relay = true;
        private boolean tcp;
        private io.p2pnat.core.secure.Identity identity;

        private Builder() {
        }

        /**
         * Our long-term identity key (RFC 5128 §6.3): the server binds our id to it and every
         * channel is authenticated and encrypted with it. Default: a fresh key for this run (our
         * id then cannot be taken back after a restart); use {@link IdentityFile#loadOrCreateKey}
         * to keep one ({@code null}: the default).
         *
         * @param identity the key, or null for a fresh one
         * @return this builder
         */
        public Builder identity(IdentityKey identity) {
            this.identity = identity == null ? null : identity.identity();
            return this;
        }

        /**
         * Also register over TCP from the same port number, so that {@link Peer#dialStream} and
         * {@link Peer#acceptStream} work (RFC 5128 §3.4 TCP hole punching). Default off.
         *
         * @param on whether to register over TCP too
         * @return this builder
         */
        public Builder tcp(boolean on) {
            this.tcp = on;
            return this;
        }

        /**
         * With {@link #tcp}: when the UDP registration succeeds but the server does not take the
         * TCP one (it may not speak TCP), run on UDP alone instead of failing; {@link
         * Peer#tcpUnavailable()} then says why. Default off (TCP is required).
         *
         * @param on whether TCP may be missing
         * @return this builder
         */
        public Builder tcpOptional(boolean on) {
            this.tcpOptional = on;
            return this;
        }

        private boolean tcpOptional;

        /**
         * How long hole punching gets before the server's relay carries the session (default
         * 1 s; skipped when both NATs map per destination). The relayed session keeps trying to
         * go direct.
         *
         * @param d the budget, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code d} is zero or negative
         */
        public Builder punchBudget(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("punch budget must be positive");
            }
            this.punchBudget = d;
            return this;
        }

        /**
         * Whether to fall back to the server's relay (default true).
         *
         * @param on whether the relay may carry sessions
         * @return this builder
         */
        public Builder relay(boolean on) {
            this.relay = on;
            return this;
        }

        /**
         * The rendezvous server, "host[:port]" (default port 3478).
         *
         * @param hostPort the server's host name or address, with an optional port
         * @return this builder
         */
        public Builder server(String hostPort) {
            this.server = Endpoints.parse(hostPort, 3478);
            return this;
        }

        /**
         * The rendezvous server's address.
         *
         * @param server the server's UDP (and TCP) address
         * @return this builder
         */
        public Builder server(InetSocketAddress server) {
            this.server = server;
            return this;
        }

        /**
         * Our peer id (1-64 letters, digits, '.', '_', '-', '@').
         *
         * @param id the id; see {@link Peer#isValidId}
         * @return this builder
         * @throws IllegalArgumentException if {@code id} is not a valid peer id
         */
        public Builder id(String id) {
            this.id = PeerIds.require(id);
            return this;
        }

        /**
         * Local UDP port; 0 (default) picks one.
         *
         * @param port 0-65535
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder localPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("bad local port " + port + ": must be 0-65535");
            }
            this.localPort = port;
            return this;
        }

        /**
         * How long to wait for the server before calling it unreachable (default 4 s).
         *
         * @param d the timeout
         * @return this builder
         */
        public Builder serverTimeout(Duration d) {
            this.serverTimeout = d;
            return this;
        }

        /**
         * Binds, registers and returns once the server accepted us.
         *
         * @return the registered peer; close it when done
         * @throws P2pException BAD_ARGUMENT without a server or id, SERVER_UNREACHABLE,
         *                      SERVER_REFUSED, IO if the socket cannot be bound
         */
        public Peer start() throws P2pException {
            if (server == null) {
                throw new P2pException(P2pException.Reason.BAD_ARGUMENT, "no rendezvous server given");
            }
            if (id == null) {
                throw new P2pException(P2pException.Reason.BAD_ARGUMENT, "no peer id given");
            }
            Peer p = new Peer(this);
            try {
                p.register();
                if (tcp) {
                    try {
                        p.registerTcp();
                    } catch (P2pException e) {
                        if (!tcpOptional) {
                            throw e;
                        }
                        p.dropTcp(e.getMessage());
                    }
                }
            } catch (P2pException e) {
                p.close();
                throw e;
            }
            return p;
        }
    }

    private void register() throws P2pException {
        driver.start(agent -> agent.start(driver.clock().nanoTime()));
        try {
            publicEndpoint = registered.get(serverTimeoutMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (TimeoutException e) {
            throw new P2pException(P2pException.Reason.SERVER_UNREACHABLE, "rendezvous server " + Endpoints.format(server) + " did not answer");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new P2pException(P2pException.Reason.CLOSED, "interrupted");
        }
    }

    private volatile String tcpUnavailable;

    /** Runs on UDP alone: the TCP registration failed ({@link Builder#tcpOptional}). */
    private void dropTcp(String why) {
        TcpDriver t = tcp;
        tcp = null;
        if (t != null) {
            t.close();
        }
        tcpUnavailable = why;
    }

    /**
     * {@return why this peer runs without TCP although {@link Builder#tcp} asked for it, or null}
     * The server did not take the TCP registration; see {@link Builder#tcpOptional}.
     */
    public String tcpUnavailable() {
        return tcpUnavailable;
    }

    private void registerTcp() throws P2pException {
        try {
            tcp = new TcpDriver(localAddress.getPort(), server, privateEndpoints, id,
                    io.p2pnat.core.tcp.TcpServerLink.of(agent, r -> driver.execute(a -> r.run())), new TcpSink(), identity,
                    relay, punchBudget.toNanos());
        } catch (IOException e) {
            throw new P2pException(P2pException.Reason.IO, e.getMessage(), e);
        }
        tcp.start();
        try {
            tcpPublicEndpoint = tcpRegistered.get(serverTimeoutMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (TimeoutException e) {
            throw new P2pException(P2pException.Reason.SERVER_UNREACHABLE, "rendezvous server " + Endpoints.format(server)
                    + " did not answer the TCP registration");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new P2pException(P2pException.Reason.CLOSED, "interrupted");
        }
    }

    /** Receives the TCP driver's results, on its thread. */
    private final class TcpSink implements TcpDriver.Sink {
        @Override
        public void connected(long dialId, io.p2pnat.core.peer.ConnectionInfo info, SocketChannel channel, byte[] alreadyRead,
                              io.p2pnat.core.peer.Introduction intro, io.p2pnat.core.tcp.EarlyHandshake early) {
            // The end-to-end handshake blocks on the network: run it off the driver's thread.
            Thread t = new Thread(() -> secureStream(dialId, info, channel, alreadyRead, intro, early), "p2pnat-secure-stream");
            t.setDaemon(true);
            t.start();
        }

        private void secureStream(long dialId, io.p2pnat.core.peer.ConnectionInfo info, SocketChannel channel, byte[] alreadyRead,
                                  io.p2pnat.core.peer.Introduction intro, io.p2pnat.core.tcp.EarlyHandshake early) {
            if (intro.remoteKey() == null) {
                closeQuietly(channel);
                failed(dialId, "peer '" + info.peer() + "' has no identity key at the server");
                return;
            }
            // The channel the stream's authentication carried the handshake in (established when the
            // peer answered it there); else a fresh one, for the handshake on the stream.
            io.p2pnat.core.secure.SecureChannel secure = early != null ? early.settle() : new io.p2pnat.core.secure.SecureChannel(
                    intro.dialer(), identity, intro.remoteKey(), java.nio.ByteBuffer.allocate(8).putLong(intro.introId()).array());
            io.p2pnat.peer.internal.SecureStream ss;
            try {
                ss = io.p2pnat.peer.internal.SecureStream.establish(channel, secure, alreadyRead, 10_000);
            } catch (IOException e) {
                closeQuietly(channel);
                CompletableFuture<StreamConnection> f = dialId >= 0 ? streamDials.remove(dialId) : null;
                if (f != null) {
                    // Only a refusal proves another key; a stream that broke or went silent is a lost path.
                    f.completeExceptionally(new P2pException(e instanceof io.p2pnat.peer.internal.SecureStream.HandshakeRefused
                            ? P2pException.Reason.KEY_MISMATCH : P2pException.Reason.PEER_UNREACHABLE,
                            "peer '" + info.peer() + "': " + e.getMessage()));
                }
                return;
            }
            io.p2pnat.core.peer.ConnectionInfo sealed = info.withPeerKey(io.p2pnat.core.secure.Identity.fingerprint(intro.remoteKey()));
            StreamConnection sc = new StreamConnection(sealed, channel, ss);
            CompletableFuture<StreamConnection> f = dialId >= 0 ? streamDials.remove(dialId) : null;
            if (f == null && dialId >= 0) {
                sc.close(); // the dial gave up
                return;
            }
            if (f != null) {
                if (!f.complete(sc)) {
                    sc.close(); // the dial gave up waiting
                }
            } else if (dialId < 0) {
                incomingStreams.add(sc);
            } else {
                sc.close();
            }
        }

        @Override
        public void failed(long dialId, String reason) {
            CompletableFuture<StreamConnection> f = streamDials.remove(dialId);
            if (f != null) {
                f.completeExceptionally(new P2pException(P2pException.Reason.PEER_UNREACHABLE, reason));
            }
        }

        @Override
        public void registered(InetSocketAddress tcpPublic) {
            tcpPublicEndpoint = tcpPublic;
            tcpRegistered.complete(tcpPublic);
        }

        @Override
        public void registrationFailed(String reason) {
            tcpRegistered.completeExceptionally(new P2pException(P2pException.Reason.SERVER_REFUSED, reason));
        }
    }

    /**
     * Opens a reliable byte stream to {@code peerId} over the best path there is: QUIC inside a
     * datagram connection ({@link #dial}) when it goes direct over UDP; with {@link Builder#tcp},
     * a direct TCP path (RFC 5128 §3.4) when UDP could only be relayed or failed; else QUIC over
     * the relay (the connection keeps trying to go direct, and the stream follows it). Closing
     * the stream closes the connection made for it.
     *
     * @param peerId  the peer's id
     * @param timeout how long to try
     * @return the stream; {@link StreamConnection#info()} tells the path and transport
     * @throws P2pException UNKNOWN_PEER, PEER_UNREACHABLE, SERVER_UNREACHABLE, ...
     */
    public StreamConnection dialStream(String peerId, Duration timeout) throws P2pException {
        return dialStream(peerId, timeout, null);
    }

    /**
     * As {@link #dialStream(String, Duration)}, pinning the peer's identity key like {@link #dial(String, Duration, String)}.
     *
     * @param peerId    the peer's id
     * @param timeout   how long to try
     * @param expectKey the fingerprint (or the whole key in hex) the peer must prove, or null for any
     * @return the stream
     * @throws P2pException UNKNOWN_PEER, PEER_UNREACHABLE, KEY_MISMATCH, SERVER_UNREACHABLE, ...
     */
    public StreamConnection dialStream(String peerId, Duration timeout, String expectKey) throws P2pException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Connection c;
        try {
            c = dial(peerId, timeout, expectKey);
        } catch (P2pException e) {
            if (tcp == null || e.reason() == P2pException.Reason.UNKNOWN_PEER || e.reason() == P2pException.Reason.KEY_MISMATCH
                    || e.reason() == P2pException.Reason.BAD_ARGUMENT || e.reason() == P2pException.Reason.CLOSED) {
                throw e;
            }
            return dialTcpStream(peerId, remaining(deadline, Duration.ofSeconds(5)), expectKey); // no UDP path at all
        }
        if (tcp != null && c.info().via() == Via.RELAY) {
            // A direct TCP path costs the server nothing and beats the relay's detour.
            try {
                long left = deadline - System.nanoTime();
                Duration probe = Duration.ofNanos(Math.max(Duration.ofMillis(500).toNanos(),
                        Math.min(left, Math.max(Duration.ofSeconds(2).toNanos(), 2 * punchBudget.toNanos()))));
                StreamConnection t = dialTcpStream(peerId, probe, expectKey, false);
                c.close();
                return t;
            } catch (P2pException e) {
                // no TCP path either: QUIC over the relay
            }
        }
        try {
            return c.openStream(remaining(deadline, Duration.ofSeconds(5)), true);
        } catch (P2pException e) {
            c.close();
            throw e;
        }
    }

    private static Duration remaining(long deadline, Duration atLeast) {
        long left = deadline - System.nanoTime();
        return left > atLeast.toNanos() ? Duration.ofNanos(left) : atLeast;
    }

    /**
     * Opens a reliable byte stream to {@code peerId} over TCP only: simultaneous-open hole punching
     * (RFC 5128 §3.4), connection reversal, or the server's stream relay. Needs {@link Builder#tcp}.
     *
     * @param peerId    the peer's id
     * @param timeout   how long to try
     * @param expectKey the fingerprint (or the whole key in hex) the peer must prove, or null for any
     * @return the stream
     * @throws P2pException UNKNOWN_PEER, PEER_UNREACHABLE, KEY_MISMATCH, NOT_REGISTERED (no TCP), ...
     */
    public StreamConnection dialTcpStream(String peerId, Duration timeout, String expectKey) throws P2pException {
        return dialTcpStream(peerId, timeout, expectKey, true);
    }

    private StreamConnection dialTcpStream(String peerId, Duration timeout, String expectKey, boolean relayAllowed)
            throws P2pException {
        if (!PeerIds.isValid(peerId)) {
            throw new P2pException(P2pException.Reason.BAD_ARGUMENT, "bad peer id '" + peerId + "'");
        }
        ensureOpen();
        if (tcp == null) {
            throw new P2pException(P2pException.Reason.NOT_REGISTERED, "TCP is not enabled on this peer");
        }
        CompletableFuture<StreamConnection> f = new CompletableFuture<>();
        driver.execute(a -> {
            long dialId = a.dial(driver.clock().nanoTime(), peerId, timeout.toNanos(), true, expectKey);
            if (!relayAllowed) {
                directOnlyDials.add(dialId);
            }
            streamDials.put(dialId, f);
        });
        try {
            return f.get(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (TimeoutException e) {
            f.cancel(false); // a stream that comes later is closed, not left open
            throw new P2pException(P2pException.Reason.PEER_UNREACHABLE, "no TCP stream to '" + peerId + "' within " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new P2pException(P2pException.Reason.CLOSED, "interrupted");
        }
    }

    /**
     * Waits for a stream another peer opened: on any connection ({@link #dialStream}, {@link
     * Connection#openStream}), or over TCP with {@link Builder#tcp}.
     *
     * @param timeout how long to wait
     * @return the stream, or null if none arrived within {@code timeout}
     * @throws P2pException CLOSED if this peer is closed
     * @throws InterruptedException if interrupted while waiting
     */
    public StreamConnection acceptStream(Duration timeout) throws P2pException, InterruptedException {
        ensureOpen();
        return incomingStreams.take(s -> true, timeout);
    }

    StreamConnection acceptStreamOn(Connection c, Duration timeout) throws InterruptedException {
        return incomingStreams.take(s -> s.connection() == c, timeout);
    }

    /** A stream the other peer opened on a session (on the I/O thread). */
    private void incomingQuicStream(long sessionId, io.p2pnat.peer.internal.QuicStream s) {
        Connection conn = connections.get(sessionId);
        if (conn == null) {
            s.close();
            return;
        }
        incomingStreams.add(new StreamConnection(conn, s, false));
    }

    CompletableFuture<io.p2pnat.peer.internal.QuicStream> openStream(long sessionId) {
        CompletableFuture<io.p2pnat.peer.internal.QuicStream> f = new CompletableFuture<>();
        driver.execute(() -> streams.open(sessionId, f));
        return f;
    }

    /** {@return our TCP public endpoint as the server sees it, or null without TCP} */
    public InetSocketAddress tcpPublicEndpoint() {
        return tcpPublicEndpoint;
    }

    private long serverTimeoutMillis() {
        return serverTimeout.toMillis();
    }

    /**
     * Connects to the peer registered as {@code peerId}: asks the server for an introduction and
     * punches a direct path.
     *
     * @param peerId  the peer's id
     * @param timeout how long to try
     * @return the connection
     * @throws P2pException UNKNOWN_PEER, PEER_UNREACHABLE, SERVER_UNREACHABLE, ...
     */
    public Connection dial(String peerId, Duration timeout) throws P2pException {
        return dial(peerId, timeout, null);
    }

    /**
     * As {@link #dial(String, Duration)}, refusing the peer unless its identity key matches
     * {@code expectKey} (its fingerprint, or the whole key in hex).
     *
     * @param peerId    the peer's id
     * @param timeout   how long to try
     * @param expectKey the fingerprint (or the whole key in hex) the peer must prove, or null for any
     * @return the connection
     * @throws P2pException UNKNOWN_PEER, PEER_UNREACHABLE, KEY_MISMATCH, SERVER_UNREACHABLE, ...
     */
    public Connection dial(String peerId, Duration timeout, String expectKey) throws P2pException {
        if (!PeerIds.isValid(peerId)) {
            throw new P2pException(P2pException.Reason.BAD_ARGUMENT, "bad peer id '" + peerId + "'");
        }
        ensureOpen();
        CompletableFuture<Connection> f = new CompletableFuture<>();
        driver.execute(agent -> {
            // Events are delivered on this same thread after the command returns, so the
            // future is in the map before any Connected or DialFailed for this dial.
            long dialId = agent.dial(driver.clock().nanoTime(), peerId, timeout.toNanos(), false, expectKey);
            dials.put(dialId, f);
        });
        try {
            return f.get(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (TimeoutException e) {
            throw new P2pException(P2pException.Reason.PEER_UNREACHABLE, "no connection to '" + peerId + "' within " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new P2pException(P2pException.Reason.CLOSED, "interrupted");
        }
    }

    /**
     * Asks the rendezvous server what it knows of {@code peerId} (discovery): whether it is
     * registered, its endpoints, and the fingerprint of its identity key. Nothing is sent to the
     * peer itself.
     *
     * @param peerId  the peer's id
     * @param timeout how long to wait for the server's answer
     * @return what the server knows of the peer
     * @throws P2pException UNKNOWN_PEER if it is not registered; SERVER_UNREACHABLE if the server
     *                      did not answer within {@code timeout}; BAD_ARGUMENT for a malformed id
     */
    public PeerInfo lookup(String peerId, Duration timeout) throws P2pException {
        if (!PeerIds.isValid(peerId)) {
            throw new P2pException(P2pException.Reason.BAD_ARGUMENT, "bad peer id '" + peerId + "'");
        }
        ensureOpen();
        CompletableFuture<PeerInfo> f = new CompletableFuture<>();
        driver.execute(agent -> lookups.put(agent.lookup(driver.clock().nanoTime(), peerId), f));
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            P2pException p = unwrap(e);
            if (p.reason() == P2pException.Reason.UNKNOWN_PEER) {
                throw new P2pException(p.reason(), "peer '" + peerId + "' is not registered with the server (" + p.getMessage() + ")");
            }
            throw p;
        } catch (TimeoutException e) {
            throw new P2pException(P2pException.Reason.SERVER_UNREACHABLE, "no answer about '" + peerId + "' within "
                    + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new P2pException(P2pException.Reason.CLOSED, "interrupted");
        }
    }

    /**
     * Waits for an incoming connection.
     *
     * @param timeout how long to wait
     * @return the connection, or null if none arrived within {@code timeout}
     * @throws P2pException CLOSED if this peer is closed
     * @throws InterruptedException if interrupted while waiting
     */
    public Connection accept(Duration timeout) throws P2pException, InterruptedException {
        ensureOpen();
        return incoming.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** {@return our identity key's fingerprint, as peers see it} */
    public String keyFingerprint() {
        return identity.fingerprint();
    }

    /** {@return our id} */
    public String id() {
        return id;
    }

    /** {@return the rendezvous server's address, as resolved from {@link Builder#server(String)}} */
    public InetSocketAddress server() {
        return server;
    }

    /** {@return our public endpoint as the rendezvous server sees it} */
    public InetSocketAddress publicEndpoint() {
        return publicEndpoint;
    }

    /**
     * {@return what we measured about our NAT so far (null before registration)} Filtering is
     * measured a moment after registration: see {@link #onNatMeasured}.
     */
    public NatBehaviour nat() {
        return nat;
    }

    /**
     * Calls {@code listener} with each new measurement of our NAT (at once with the current one,
     * if any), on the peer's I/O thread: keep it short.
     *
     * @param listener called with each measurement
     */
    public void onNatMeasured(java.util.function.Consumer<NatBehaviour> listener) {
        natListeners.add(listener);
        NatBehaviour b = nat;
        if (b != null) {
            listener.accept(b);
        }
    }

    /** {@return our private endpoints, as registered} */
    public List<InetSocketAddress> privateEndpoints() {
        return privateEndpoints;
    }

    /** {@return the local socket address} */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    private void ensureOpen() throws P2pException {
        if (closed) {
            throw new P2pException(P2pException.Reason.CLOSED, "peer is closed");
        }
    }

    /** Runs on the driver thread. */
    private void onEvent(PeerEvent e) {
        if (e instanceof PeerEvent.NatMeasured m) {
            NatBehaviour b = NatBehaviour.of(m);
            nat = b;
            natListeners.forEach(l -> l.accept(b));
        } else if (e instanceof PeerEvent.Registered r) {
            publicEndpoint = r.publicEndpoint();
            registered.complete(r.publicEndpoint());
        } else if (e instanceof PeerEvent.RegistrationFailed f) {
            registered.completeExceptionally(new P2pException(map(f.kind()), f.reason()));
        } else if (e instanceof PeerEvent.Connected c) {
            Connection conn = new Connection(this, c.info());
            connections.put(c.info().sessionId(), conn);
            streams.sessionUp(c.info().sessionId(), c.info().peer());
            CompletableFuture<Connection> f = c.dialId() >= 0 ? dials.remove(c.dialId()) : null;
            if (f != null) {
                f.complete(conn);
            } else {
                incoming.add(conn);
            }
        } else if (e instanceof PeerEvent.LookedUp l) {
            CompletableFuture<PeerInfo> f = lookups.remove(l.lookupId());
            if (f == null) {
                return;
            }
            if (l.failure() != null) {
                f.completeExceptionally(new P2pException(map(l.failure()), l.reason()));
            } else {
                f.complete(new PeerInfo(l.peerId(), l.publicEndpoint(), l.privateEndpoints(), l.tcpPublicEndpoint(),
                        l.tcpPrivateEndpoints(), l.identityKey() == null ? null
                        : io.p2pnat.core.secure.Identity.fingerprint(l.identityKey())));
            }
        } else if (e instanceof PeerEvent.DialFailed d) {
            CompletableFuture<Connection> f = dials.remove(d.dialId());
            P2pException ex = new P2pException(map(d.kind()), d.reason());
            if (f != null) {
                f.completeExceptionally(ex);
            }
            CompletableFuture<StreamConnection> sf = streamDials.remove(d.dialId());
            if (sf != null) {
                sf.completeExceptionally(ex);
            }
        } else if (e instanceof PeerEvent.TcpIntroduced t) {
            if (tcp != null) {
                tcp.introduce(t.dialId(), t.intro(), t.setupOrigin(), t.deadline(), agent.serverRttNanos(),
                        !directOnlyDials.remove(t.dialId()));
            }
        } else if (e instanceof PeerEvent.StreamPacket sp) {
            streams.onPacket(sp.sessionId(), sp.packet(), sp.fromClient());
        } else if (e instanceof PeerEvent.Data d) {
            Connection conn = connections.get(d.sessionId());
            if (conn != null) {
                conn.deliver(d.payload());
            }
        } else if (e instanceof PeerEvent.PathChanged pc) {
            Connection conn = connections.get(pc.sessionId());
            if (conn != null) {
                conn.pathChanged(pc.info());
            }
        } else if (e instanceof PeerEvent.PathLost pl) {
            Connection conn = connections.get(pl.sessionId());
            if (conn != null) {
                conn.pathLost(pl.lastPath(), pl.reason());
            }
        } else if (e instanceof PeerEvent.PathRepaired pr) {
            Connection conn = connections.get(pr.sessionId());
            if (conn != null) {
                conn.pathRepaired(pr.info(), pr.outageNanos());
            }
        } else if (e instanceof PeerEvent.Closed c) {
            streams.sessionClosed(c.sessionId(), c.reason());
            Connection conn = connections.remove(c.sessionId());
            if (conn != null) {
                conn.remoteClosed(c.reason());
            }
        }
    }

    private static P2pException.Reason map(PeerEvent.FailureKind k) {
        return switch (k) {
            case SERVER_UNREACHABLE -> P2pException.Reason.SERVER_UNREACHABLE;
            case SERVER_REFUSED -> P2pException.Reason.SERVER_REFUSED;
            case UNKNOWN_PEER -> P2pException.Reason.UNKNOWN_PEER;
            case PEER_UNREACHABLE -> P2pException.Reason.PEER_UNREACHABLE;
            case NOT_REGISTERED -> P2pException.Reason.NOT_REGISTERED;
            case CLOSED -> P2pException.Reason.CLOSED;
            case KEY_MISMATCH -> P2pException.Reason.KEY_MISMATCH;
        };
    }

    private static P2pException unwrap(ExecutionException e) {
        return e.getCause() instanceof P2pException p ? p
                : new P2pException(P2pException.Reason.IO, String.valueOf(e.getCause()), e.getCause());
    }

    void send(long sessionId, byte[] payload) {
        driver.execute(agent -> agent.send(driver.clock().nanoTime(), sessionId, payload));
    }

    void closeSession(long sessionId) {
        Connection c = connections.remove(sessionId);
        if (c != null) {
            incomingStreams.dropFor(c);
        }
        driver.execute(agent -> {
            streams.sessionClosed(sessionId, "closed locally");
            agent.close(driver.clock().nanoTime(), sessionId);
        });
    }

    /** Closes every connection, tells the peers, and releases the socket. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Connection c : List.copyOf(connections.values())) {
            c.close();
        }
        CompletableFuture<Void> flushed = new CompletableFuture<>();
        driver.execute(agent -> {
            streams.closeAll("peer closed");
            flushed.complete(null);
        });
        try {
            flushed.get(500, TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // closing anyway
        }
        driver.close();
        if (tcp != null) {
            tcp.close();
        }
        dials.values().forEach(f -> f.completeExceptionally(new P2pException(P2pException.Reason.CLOSED, "peer closed")));
    }
}
