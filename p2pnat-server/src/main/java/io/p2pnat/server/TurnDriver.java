package io.p2pnat.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pnat.core.Clock;
import io.p2pnat.core.Timers;
import io.p2pnat.core.turn.TurnOutput;
import io.p2pnat.core.turn.TurnService;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The I/O half of the TURN server: feeds the sans-I/O {@link TurnService} and carries out its
 * {@link TurnOutput}s. Clients speak to it over the main UDP socket or over TCP connections to the
 * same port ({@link TurnStreamHandler}). Relay sockets (one per allocation, RFC 8656 §6) are registered and bound
 * on the same single event loop as the main socket (which completes at once there), so the
 * service is only ever touched by one thread.
 */
final class TurnDriver {
    private final TurnService service;
    private final Clock clock;
    private final InetAddress relayBind;
    private final Channel[] relays = new Channel[65536];
    private final List<Channel> dirty = new ArrayList<>();
    private boolean mainDirty;
    private Channel main;
    private ScheduledFuture<?> timer;
    private long timerAt = Timers.NEVER;
    private byte[] scratch = new byte[2048];
    /** Clients' TCP connections (TURN over TCP, RFC 8656 §3.1), by remote address. */
    private final java.util.Map<InetSocketAddress, Channel> streams = new java.util.HashMap<>();
    /** TCP connections per client IP address, for {@link #streamsPerIp()}. */
    private final java.util.Map<InetAddress, Integer> streamsByIp = new java.util.HashMap<>();
    private long streamDrops;
    private long streamsRefused;

    /**
     * @param relayBind the local address relay sockets bind to (the server's bind address)
     */
    TurnDriver(TurnService service, Clock clock, InetAddress relayBind) {
        this.service = service;
        this.clock = clock;
        this.relayBind = relayBind;
    }

    TurnService service() {
        return service;
    }

    void attach(Channel main) {
        this.main = main;
    }

    /** A TURN datagram (STUN with a TURN method, or ChannelData) on the main socket. */
    void fromClient(InetSocketAddress sender, byte[] buf, int len) {
        service.handleClientInput(clock.nanoTime(), sender, buf, 0, len);
        drain();
    }

    /**
     * How long a client's TCP connection may stay without an allocation (before its first, or
     * after its last) before the server closes it: a connection costs a socket and buffers
     * however little it says. Package-private and mutable for tests.
     */
    static volatile long streamIdleMillis = 30_000;

    /** Whether the connection from {@code remote} holds an allocation now. */
    boolean streamHasAllocation(InetSocketAddress remote) {
        return service.hasStreamAllocation(clock.nanoTime(), remote);
    }

    /**
     * TURN connections one IP address may hold at once: its allocation quota (each allocation
     * needs a connection of its own) and a few to spare for connections that are being set up or
     * torn down. More would only hold sockets and buffers.
     */
    int streamsPerIp() {
        return service.config().ipQuota() + 16;
    }

    /**
     * A client's TCP connection turned out to carry TURN ({@link TurnStreamHandler}); false when
     * its address already holds {@link #streamsPerIp()} of them (the caller closes it).
     */
    boolean streamOpened(InetSocketAddress remote, Channel ch) {
        if (streams.containsKey(remote)) {
            streams.put(remote, ch); // the old connection from there is on its way out: not one more
            return true;
        }
        int held = streamsByIp.getOrDefault(remote.getAddress(), 0);
        if (held >= streamsPerIp()) {
            streamsRefused++;
            return false;
        }
        streamsByIp.put(remote.getAddress(), held + 1);
        streams.put(remote, ch);
        return true;
    }

    /** TURN connections closed at once because their address held too many. */
    long streamsRefused() {
        return streamsRefused;
    }

    /** One whole message from a client's TCP connection. */
    void fromStreamClient(InetSocketAddress remote, byte[] message, int len) {
        service.handleStreamInput(clock.nanoTime(), remote, message, 0, len);
        drain();
    }

    /** A client's TCP connection ended: so does its allocation. */
    void streamClosed(InetSocketAddress remote, Channel ch) {
        if (streams.remove(remote, ch)) {
            streamsByIp.computeIfPresent(remote.getAddress(), (ip, n) -> n <= 1 ? null : n - 1);
            dirty.remove(ch);
            service.streamClosed(clock.nanoTime(), remote);
            drain();
            flush();
        }
    }

    /** Relayed data not written to TCP clients that had fallen behind. */
    long streamDrops() {
        return streamDrops;
    }

    private void fromPeer(int port, DatagramPacket packet) {
        ByteBuf content = packet.content();
        int len = content.readableBytes();
        if (len > scratch.length) {
            scratch = new byte[len];
        }
        content.getBytes(content.readerIndex(), scratch, 0, len);
        service.handleRelayInput(clock.nanoTime(), port, packet.sender(), scratch, 0, len);
        drain();
    }

    /**
     * Carries out everything the service asked for. Writes are flushed when a read burst completes
     * ({@link #flush}, from channelReadComplete), so datagrams written to one socket during the
     * burst leave in one batch (sendmmsg with the epoll transport).
     */
    void drain() {
        TurnOutput o;
        while ((o = service.poll()) != null) {
            if (o instanceof TurnOutput.ToPeer p) {
                Channel ch = relays[p.relayPort()];
                if (ch != null) {
                    ch.write(new DatagramPacket(Unpooled.wrappedBuffer(p.payload()), p.peer()), ch.voidPromise());
                    if (!dirty.contains(ch)) {
                        dirty.add(ch);
                    }
                }
            } else if (o instanceof TurnOutput.ToClient c && c.stream()) {
                toStream(c);
            } else if (o instanceof TurnOutput.ToClient c) {
                main.write(new DatagramPacket(Unpooled.wrappedBuffer(c.payload()), c.client()), main.voidPromise());
                mainDirty = true;
            } else if (o instanceof TurnOutput.OpenRelay r) {
                service.relayOpened(clock.nanoTime(), r.relayPort(), open(r.relayPort()));
            } else if (o instanceof TurnOutput.CloseRelay c) {
                Channel ch = relays[c.relayPort()];
                relays[c.relayPort()] = null;
                if (ch != null) {
                    dirty.remove(ch);
                    ch.close();
                }
            }
        }
        schedule();
    }

    /**
     * Writes a message on a client's TCP connection. Relayed data is dropped while the connection
     * has more queued than its high-water mark (the client does not keep up: over UDP the
     * datagram would be lost too, and the queue must not grow without bound); answers to
     * requests are always written, since a client over TCP does not retransmit (RFC 8489 §6.2.2).
     */
    private void toStream(TurnOutput.ToClient c) {
        Channel ch = streams.get(c.client());
        if (ch == null || !ch.isActive()) {
            return;
        }
        if (!ch.isWritable() && isRelayedData(c.payload())) {
            streamDrops++;
            return;
        }
        if (ch.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null) {
            // One TLS record per message, as coturn writes them: coturn's own client (uclient -S)
            // takes one message from each record and lost the rest when a burst shared a record.
            ch.writeAndFlush(Unpooled.wrappedBuffer(c.payload()), ch.voidPromise());
            return;
        }
        ch.write(Unpooled.wrappedBuffer(c.payload()), ch.voidPromise());
        if (!dirty.contains(ch)) {
            dirty.add(ch);
        }
    }

    /** ChannelData, or a Data indication (STUN type 0x0017). */
    private static boolean isRelayedData(byte[] m) {
        return (m[0] & 0xC0) == 0x40 || (m.length >= 2 && m[0] == 0x00 && m[1] == 0x17);
    }

    /** Flushes every socket written to since the last flush. */
    void flush() {
        if (mainDirty) {
            mainDirty = false;
            main.flush();
        }
        for (Channel ch : dirty) {
            ch.flush();
        }
        dirty.clear();
    }

    private boolean open(int port) {
        // On the event loop, register and bind run at once: the outcome is known on return.
        io.netty.channel.socket.DatagramChannel ch = Transport.newDatagram(relayBind);
        ch.config().setOption(ChannelOption.SO_RCVBUF, 1 << 20);
        ch.pipeline().addLast(new RelayHandler(port));
        ChannelFuture reg = main.eventLoop().register(ch);
        if (!reg.isDone() || !reg.isSuccess()) {
            ch.close();
            return false;
        }
        ChannelFuture bound = ch.bind(new InetSocketAddress(relayBind, port));
        if (!bound.isDone() || !bound.isSuccess()) {
            ch.close();
            return false;
        }
        relays[port] = ch;
        return true;
    }

    private void schedule() {
        long next = service.nextTimeout();
        if (next == Timers.NEVER || (timer != null && !timer.isDone() && timerAt <= next)) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        timerAt = next;
        timer = main.eventLoop().schedule(this::onTimer, Math.max(0, next - clock.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
        timerAt = Timers.NEVER;
        timer = null;
        service.handleTimeout(clock.nanoTime());
        drain();
        flush();
    }

    /** Closes every relay socket (server shutdown). */
    void closeAll() {
        for (int i = 0; i < relays.length; i++) {
            if (relays[i] != null) {
                relays[i].close();
                relays[i] = null;
            }
        }
    }

    /** Inbound datagrams on one relay port. */
    private final class RelayHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        private final int port;

        RelayHandler(int port) {
            this.port = port;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            fromPeer(port, packet);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP port unreachable and the like: keep relaying
        }
    }
}
