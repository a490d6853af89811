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
 * {@link TurnOutput}s. Relay sockets (one per allocation, RFC 8656 §6) are registered and bound
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
