package io.p2pnat.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.p2pnat.core.Clock;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.rendezvous.RendezvousService;
import io.p2pnat.core.turn.TurnService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The rendezvous server on a real UDP socket: a thin Netty driver around the sans-I/O
 * {@link RendezvousService} and, when {@link TurnSettings} are given, a TURN server
 * ({@link TurnService}, RFC 8656) on the same port. One event loop thread owns the services and
 * every relay socket, so they need no locks.
 *
 * <pre>{@code
 * try (RendezvousServer s = RendezvousServer.start(new InetSocketAddress(3478), ServerConfig.defaults())) {
 *     s.awaitClose();
 * }
 * }</pre>
 */
public final class RendezvousServer implements AutoCloseable {
    /** Pass as the alternate port to run without one. */
    public static final int NO_ALTERNATE_PORT = -1;

    private final EventLoopGroup group;
    private final Channel channel;
    private final Channel altChannel;
    private final ServerHandler handler;
    private final TurnDriver turn;
    /** The TCP listener on the main port number (docs/protocol.md "TCP"); set once by start. */
    private TcpSide tcp;
    /** RFC 5780 behaviour discovery, once {@link #enableBehaviorDiscovery} ran; null before. */
    private volatile BehaviorDiscovery behaviorDiscovery;

    private RendezvousServer(EventLoopGroup group, Channel channel, Channel altChannel, ServerHandler handler,
                             TurnDriver turn) {
        this.group = group;
        this.channel = channel;
        this.altChannel = altChannel;
        this.handler = handler;
        this.turn = turn;
    }

    /**
     * Binds the UDP socket and starts serving.
     *
     * @param bind   the address and port to serve on (port 0: any free one)
     * @param config the rendezvous service's settings
     * @return the running server; close it to stop
     * @throws IOException if the address cannot be bound (in use, not local, no permission)
     */
    public static RendezvousServer start(InetSocketAddress bind, RendezvousConfig config) throws IOException {
        return start(bind, 0, config);
    }

    /**
     * Binds the main UDP socket and an alternate port on the same address that answers STUN
     * Binding only (peers use it to tell endpoint-independent from endpoint-dependent mapping).
     *
     * @param bind    the address and port to serve on (port 0: any free one)
     * @param altPort the alternate port, 0 for any free one, {@link #NO_ALTERNATE_PORT} for none
     * @param config  the rendezvous service's settings
     * @return the running server; close it to stop
     * @throws IOException if an address cannot be bound (in use, not local, no permission)
     */
    public static RendezvousServer start(InetSocketAddress bind, int altPort, RendezvousConfig config) throws IOException {
        return start(bind, altPort, config, null);
    }

    /**
     * Like {@link #start(InetSocketAddress, int, RendezvousConfig)}, with a TURN server (RFC 8656)
     * on the main port when {@code turnSettings} is non-null.
     *
     * @param bind         the address and port to serve on (port 0: any free one)
     * @param altPort      the alternate port, 0 for any free one, {@link #NO_ALTERNATE_PORT} for none
     * @param config       the rendezvous service's settings
     * @param turnSettings TURN on the main port, or null for none
     * @return the running server; close it to stop
     * @throws IOException if an address cannot be bound (in use, not local, no permission)
     */
    public static RendezvousServer start(InetSocketAddress bind, int altPort, RendezvousConfig config,
                                         TurnSettings turnSettings) throws IOException {
        return start(bind, altPort, config, turnSettings, null);
    }

    /**
     * Binds the UDP socket (and TCP on the same port) with {@code config}, an alternate port on
     * any free port, no TURN, identity bindings in memory.
     *
     * @param bind   the address and port to serve on (port 0: any free one)
     * @param config the server's settings
     * @return the running server; close it to stop
     * @throws IOException if the address cannot be bound (in use, not local, no permission)
     */
    public static RendezvousServer start(InetSocketAddress bind, ServerConfig config) throws IOException {
        return start(bind, 0, config.rendezvous());
    }

    /**
     * Binds the main UDP socket (and TCP on the same port number) and an alternate port, with a
     * TURN server (RFC 8656) on the main port when {@code turnSettings} is non-null, keeping the
     * peer-id-to-identity-key bindings in {@code identities} (null: in memory only, forgotten on
     * restart; RFC 5128 §6.3). At most {@link #IDENTITIES_PER_REGISTRATION} x the registration
     * limit ids are bound; new ids beyond that are refused.
     *
     * @param bind         the address and port to serve on (port 0: any free one)
     * @param altPort      the alternate port, 0 for any free one, {@link #NO_ALTERNATE_PORT} for none
     * @param config       the server's settings
     * @param turnSettings TURN on the main port, or null for none
     * @param identities   the file where peer-id-to-identity-key bindings are kept, or null for
     *                     memory only
     * @return the running server; close it to stop
     * @throws IOException if an address cannot be bound, or the identity store cannot be read
     */
    public static RendezvousServer start(InetSocketAddress bind, int altPort, ServerConfig config,
                                         TurnSettings turnSettings, FileIdentityStore identities)
            throws IOException {
        return start(bind, altPort, config.rendezvous(), turnSettings, identities);
    }

    /** Most ids an identity store binds, per registration the server holds at most. */
    public static final int IDENTITIES_PER_REGISTRATION = 4;

    /**
     * Like {@link #start(InetSocketAddress, int, RendezvousConfig, TurnSettings)}, keeping the
     * peer-id-to-identity-key bindings in {@code identities} (null: in memory only, forgotten on
     * restart; RFC 5128 §6.3). At most {@link #IDENTITIES_PER_REGISTRATION} x the registration
     * limit ids are bound; new ids beyond that are refused.
     *
     * @param bind         the address and port to serve on (port 0: any free one)
     * @param altPort      the alternate port, 0 for any free one, {@link #NO_ALTERNATE_PORT} for none
     * @param config       the rendezvous service's settings
     * @param turnSettings TURN on the main port, or null for none
     * @param identities   where the bindings are kept, or null for memory only
     * @return the running server; close it to stop
     * @throws IOException if an address cannot be bound, or the identity store cannot be read
     */
    public static RendezvousServer start(InetSocketAddress bind, int altPort, RendezvousConfig config,
                                         TurnSettings turnSettings, io.p2pnat.core.rendezvous.IdentityStore identities)
            throws IOException {
        // With port 0, TCP takes the number UDP got; another socket may already hold it for TCP.
        int attempts = bind.getPort() == 0 ? 8 : 1;
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(bind, altPort, config, turnSettings, identities);
            } catch (TcpSide.PortTaken e) {
                if (attempt >= attempts) {
                    closeStore(identities);
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                closeStore(identities);
                throw e;
            }
        }
    }

    private static RendezvousServer startOnce(InetSocketAddress bind, int altPort, RendezvousConfig config,
                                              TurnSettings turnSettings,
                                              io.p2pnat.core.rendezvous.IdentityStore identities) throws IOException {
        RendezvousService service = new RendezvousService(config, new SecureRandom());
        int loaded = identities == null ? 0 : service.keepIdentitiesIn(identities,
                    (int) Math.min(Integer.MAX_VALUE, (long) config.maxRegistrations() * IDENTITIES_PER_REGISTRATION));
        TurnDriver turn = null;
        if (turnSettings != null) {
            TurnService ts = new TurnService(turnSettings.config(), turnSettings.credentials(), new SecureRandom(),
                    () -> System.currentTimeMillis() / 1000);
            turn = new TurnDriver(ts, Clock.system(), bind.getAddress());
        }
        ServerHandler handler = new ServerHandler(service, turn, Clock.system());
        EventLoopGroup group = Transport.group(1);
        try {
            Channel ch = new Bootstrap().group(group).channelFactory(Transport.datagramFactory(bind.getAddress()))
                    .option(ChannelOption.SO_RCVBUF, 4 << 20)
                    .option(ChannelOption.SO_SNDBUF, 4 << 20)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, Transport.recvAllocator())
                    .handler(handler)
                    .bind(bind).sync().channel();
            Transport.batchReads(ch);
            Channel alt = null;
            if (altPort != NO_ALTERNATE_PORT) {
                InetSocketAddress altBind = new InetSocketAddress(bind.getAddress(), altPort);
                try {
                    alt = new Bootstrap().group(group).channelFactory(Transport.datagramFactory(bind.getAddress()))
                            .handler(new AlternatePortHandler(service.sourceBudget())).bind(altBind).sync().channel();
                } catch (Exception e) {
                    ch.close();
                    throw new IOException("cannot listen on alternate UDP port " + altPort + ": " + e.getMessage(), e);
                }
                int actual = ((InetSocketAddress) alt.localAddress()).getPort();
                ch.eventLoop().submit(() -> service.setAlternatePort(actual)).sync();
            }
            if (turn != null) {
                TurnService ts = turn.service();
                int mainPort = ((InetSocketAddress) ch.localAddress()).getPort();
                int altActual = alt == null ? mainPort : ((InetSocketAddress) alt.localAddress()).getPort();
                ch.eventLoop().submit(() -> ts.setServerPorts(mainPort, altActual)).sync();
            }
            // TCP on the same port number as UDP (the one UDP got when 0 was asked for), same thread.
            InetSocketAddress tcpBind = new InetSocketAddress(bind.getAddress(), ((InetSocketAddress) ch.localAddress()).getPort());
            TcpSide tcpSide = TcpSide.start(group, tcpBind, service, handler, turn, Clock.system());
            RendezvousServer server = new RendezvousServer(group, ch, alt, handler, turn);
            server.tcp = tcpSide;
            server.identitiesLoaded = loaded;
            server.identityStore = identities;
            return server;
        } catch (IOException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
            throw e;
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IOException("cannot listen on UDP " + bind.getAddress().getHostAddress() + ":" + bind.getPort()
                    + ": " + e.getMessage(), e);
        }
    }

    private int identitiesLoaded;
    private io.p2pnat.core.rendezvous.IdentityStore identityStore;

    /** Lets go of a closeable store (a file store's lock): when the server stops, or fails to start. */
    private static void closeStore(io.p2pnat.core.rendezvous.IdentityStore store) {
        if (store instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // stopping anyway
            }
        }
    }

    /** {@return the identity bindings loaded from the store at start (0 without one)} */
    public int identitiesLoaded() {
        return identitiesLoaded;
    }

    /** {@return the bound address (the real port when 0 was asked for)} */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** {@return the TCP listener's bound address: same address and port number as {@link #localAddress()}} */
    public InetSocketAddress tcpLocalAddress() {
        return tcp.localAddress();
    }

    /** {@return the alternate port's bound address, or null when running without one} */
    public InetSocketAddress alternateAddress() {
        return altChannel == null ? null : (InetSocketAddress) altChannel.localAddress();
    }

    /**
     * {@return a snapshot of the service's counters and table sizes}
     *
     * @throws IllegalStateException if the server's event loop does not answer within 5 s, or on interrupt
     */
    public ServerStats stats() {
        try {
            return channel.eventLoop().submit(handler::snapshot).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("server did not answer", e);
        }
    }

    /**
     * {@return the answers to unauthenticated UDP requests that the rendezvous, alternate-port
     * and RFC 5780 sockets held back} They share one budget for unauthenticated sources (size
     * rule or rates). Thread-safe.
     */
    public long answersRefused() {
        return handler.service().sourceBudget().denied();
    }

    /** {@return true when the TURN server runs on the main port} */
    public boolean turnEnabled() {
        return turn != null;
    }

    /**
     * {@return a snapshot of the TURN server's counters, or null when TURN is off}
     *
     * @throws IllegalStateException if the server's event loop does not answer within 5 s, or on interrupt
     */
    public TurnServerStats turnStats() {
        if (turn == null) {
            return null;
        }
        try {
            return channel.eventLoop().submit(() -> TurnServerStats.of(turn.service()).withStreams(turn.streamDrops(), turn.streamsRefused())).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("server did not answer", e);
        }
    }

    /**
     * Blocks until the server is closed.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void awaitClose() throws InterruptedException {
        channel.closeFuture().await();
    }

    /**
     * Accepts TLS on the TCP port from now on (TURN over TLS, the {@code turns:} URI of RFC 7065):
     * a connection that opens with a TLS handshake is decrypted, then served as any other.
     * Plain connections keep working on the same port.
     *
     * @param tls the certificate chain and key to serve
     */
    public void enableTls(ServerTls tls) {
        this.tcp.enableTls(tls);
    }

    /**
     * Turns on NAT behaviour discovery (RFC 5780 §4; {@link BehaviorDiscovery}): the main and
     * alternate-port sockets answer CHANGE-REQUEST, and with {@code altIp} the server also listens
     * on that second address (both ports, UDP) and serves the TCP probe on the alternate port.
     *
     * @param altIp a second local IP address, or null for the port-only tests
     * @return the discovery's sockets and addresses
     * @throws IOException if a socket on {@code altIp} cannot be bound
     * @throws IllegalArgumentException if the main socket is bound to a wildcard address while
     *     {@code altIp} is given, or {@code altIp} is the main address
     * @throws IllegalStateException if already on
     */
    public synchronized BehaviorDiscovery enableBehaviorDiscovery(java.net.InetAddress altIp) throws IOException {
        if (behaviorDiscovery != null) {
            throw new IllegalStateException("behaviour discovery is already on");
        }
        behaviorDiscovery = BehaviorDiscovery.attach(group, channel, altChannel, altIp, handler.service().sourceBudget());
        if (altIp != null && altChannel != null) {
            // Peers probe the second address too, which tells address-dependent mapping apart.
            InetSocketAddress other = new InetSocketAddress(altIp, ((InetSocketAddress) altChannel.localAddress()).getPort());
            try {
                channel.eventLoop().submit(() -> handler.service().setOtherAddress(other)).sync();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return behaviorDiscovery;
    }

    @Override
    public void close() {
        if (behaviorDiscovery != null) {
            behaviorDiscovery.close();
        }
        if (altChannel != null) {
            altChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        if (turn != null) {
            channel.eventLoop().execute(turn::closeAll);
        }
        tcp.close();
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        closeStore(identityStore); // after the event loop: no binding is being written any more
    }
}
