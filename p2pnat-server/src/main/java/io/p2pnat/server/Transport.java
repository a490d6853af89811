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

    static DatagramChannel newDatagram() {
        return EPOLL ? new EpollDatagramChannel() : new NioDatagramChannel();
    }

    static String name() {
        return EPOLL ? "epoll" : "nio";
    }
}
