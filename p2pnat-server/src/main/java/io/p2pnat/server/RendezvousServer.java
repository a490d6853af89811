package io.p2pnat.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.p2pnat.core.Clock;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.rendezvous.RendezvousService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The rendezvous server on a real UDP socket: a thin Netty driver around the sans-I/O
 * {@link RendezvousService}. One event loop thread owns the service, so it needs no locks.
 *
 * <pre>{@code
 * try (RendezvousServer s = RendezvousServer.start(new InetSocketAddress(3478), RendezvousConfig.defaults())) {
 *     s.awaitClose();
 * }
 * }</pre>
 */
public final class RendezvousServer implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel channel;
    private final ServerHandler handler;

    private RendezvousServer(EventLoopGroup group, Channel channel, ServerHandler handler) {
        this.group = group;
        this.channel = channel;
        this.handler = handler;
    }

    /**
     * Binds the UDP socket and starts serving.
     *
     * @throws IOException if the address cannot be bound (in use, not local, no permission)
     */
    public static RendezvousServer start(InetSocketAddress bind, RendezvousConfig config) throws IOException {
        RendezvousService service = new RendezvousService(config, new SecureRandom());
        ServerHandler handler = new ServerHandler(service, Clock.system());
        EventLoopGroup group = new NioEventLoopGroup(1);
        try {
            Channel ch = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                    .option(ChannelOption.SO_RCVBUF, 4 << 20)
                    .option(ChannelOption.SO_SNDBUF, 4 << 20)
                    .handler(handler)
                    .bind(bind).sync().channel();
            return new RendezvousServer(group, ch, handler);
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IOException("cannot listen on UDP " + bind.getAddress().getHostAddress() + ":" + bind.getPort()
                    + ": " + e.getMessage(), e);
        }
    }

    /** The bound address (the real port when 0 was asked for). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** A snapshot of the service's counters and table sizes. */
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

    /** Blocks until the server is closed. */
    public void awaitClose() throws InterruptedException {
        channel.closeFuture().await();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
