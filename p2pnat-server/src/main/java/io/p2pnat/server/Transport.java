package io.p2pnat.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;

/**
 * Netty's native epoll transport where it works (Linux x86-64), NIO elsewhere. The native one
 * reads and writes datagrams without the JDK selector and copies; set {@code -Dp2pnat.nio=true}
 * to force NIO.
 */
final class Transport {
    static final boolean EPOLL = !Boolean.getBoolean("p2pnat.nio") && Epoll.isAvailable();

    private Transport() {
    }

    static EventLoopGroup group(int threads) {
        return EPOLL ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
    }

    static Class<? extends DatagramChannel> datagramClass() {
        return EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    static Class<? extends ServerSocketChannel> serverSocketClass() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * A datagram channel of the family of {@code bind} (an IPv4 socket for an IPv4 address: the
     * kernel's IPv4 path is shorter than dual-stack IPv6 with mapped addresses).
     */
    static DatagramChannel newDatagram(java.net.InetAddress bind) {
        io.netty.channel.socket.InternetProtocolFamily family = bind instanceof java.net.Inet4Address
                ? io.netty.channel.socket.InternetProtocolFamily.IPv4 : io.netty.channel.socket.InternetProtocolFamily.IPv6;
        return EPOLL ? new EpollDatagramChannel(family) : new NioDatagramChannel(family);
    }

    static io.netty.channel.ChannelFactory<DatagramChannel> datagramFactory(java.net.InetAddress bind) {
        return () -> newDatagram(bind);
    }

    /** Receive buffers for up to 16 datagrams of up to 2 KiB, read in one go (recvmmsg on epoll). */
    static io.netty.channel.RecvByteBufAllocator recvAllocator() {
        return new io.netty.channel.FixedRecvByteBufAllocator(EPOLL ? 16 * 2048 : 2048);
    }

    /** With epoll, reads datagrams of up to 2 KiB with recvmmsg. */
    static void batchReads(io.netty.channel.Channel ch) {
        if (EPOLL) {
            ch.config().setOption(io.netty.channel.epoll.EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 2048);
        }
    }

    static String name() {
        return EPOLL ? "epoll" : "nio";
    }
}
