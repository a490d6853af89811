package io.p2pnat.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.p2pnat.core.Clock;
import io.p2pnat.core.rendezvous.RendezvousService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The rendezvous server's TCP listener (docs/protocol.md "TCP"): same port number as the UDP
 * socket, accepted connections on the same single event loop as the UDP handler, so one thread
 * owns the {@link RendezvousService}. Half-closure is allowed so a spliced stream can forward a
 * FIN while the other direction keeps flowing.
 */
final class TcpSide {
    private final Channel listener;
    private final ChannelGroup connections;
    private final java.util.concurrent.atomic.AtomicReference<ServerTls> tls;

    private TcpSide(Channel listener, ChannelGroup connections, java.util.concurrent.atomic.AtomicReference<ServerTls> tls) {
        this.listener = listener;
        this.connections = connections;
        this.tls = tls;
    }

    /** Accepts TLS from now on: connections that open with a TLS handshake are decrypted first. */
    void enableTls(ServerTls t) {
        tls.set(t);
    }

    /**
     * Listens on {@code bind} and wires accepted connections to {@code service} through the UDP
     * handler's thread, timer and drain; a connection whose first message is TURN goes to
     * {@code turn} instead (null: no TURN server).
     *
     * @param group a single-threaded group, the one the UDP channel is registered with
     * @throws IOException if the port cannot be bound
     */
    static TcpSide start(EventLoopGroup group, InetSocketAddress bind, RendezvousService service,
                         ServerHandler udp, TurnDriver turn, Clock clock) throws IOException {
        StreamDriver driver = new StreamDriver(service, clock, udp);
        ChannelGroup connections = new DefaultChannelGroup(group.next());
        java.util.concurrent.atomic.AtomicReference<ServerTls> tls = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            group.next().submit(() -> udp.attachStreams(driver)).sync();
            Channel listener = new ServerBootstrap().group(group).channel(Transport.serverSocketClass())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.add(ch);
                            ch.pipeline().addLast(TcpServerHandler.NAME, new TcpServerHandler(driver, turn, tls.get()));
                        }
                    })
                    .bind(bind).sync().channel();
            return new TcpSide(listener, connections, tls);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding TCP " + bind, e);
        } catch (Exception e) {
            String message = "cannot listen on TCP " + bind.getAddress().getHostAddress() + ":" + bind.getPort()
                    + ": " + e.getMessage();
            if (String.valueOf(e.getMessage()).contains("Address already in use")) {
                throw new PortTaken(message, e);
            }
            throw new IOException(message, e);
        }
    }

    /** The TCP port is held by another socket (the caller may pick another number). */
    static final class PortTaken extends IOException {
        PortTaken(String message, Throwable cause) {
            super(message, cause);
        }
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Stops listening and closes every connection, spliced or not. */
    void close() {
        listener.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
}
