package io.p2pnat.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pnat.core.Clock;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.rendezvous.RendezvousService;
import io.p2pnat.core.rendezvous.RendezvousStats;
import io.p2pnat.core.turn.TurnDemux;
import java.util.concurrent.TimeUnit;

/**
 * Feeds datagrams and timer ticks to the services and writes out what they emit. With TURN on,
 * the main socket is demultiplexed (RFC 7983 first-byte rule, {@link TurnDemux}): TURN methods and
 * ChannelData go to the TURN driver, everything else (Binding, our signaling, our frames) to the
 * rendezvous service.
 */
final class ServerHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    private final RendezvousService service;

    /** The rendezvous service; touch it only on the event loop. */
    RendezvousService service() {
        return service;
    }
    private final TurnDriver turn;
    private final Clock clock;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private long timerAt = Timers.NEVER;
    private byte[] scratch = new byte[2048];
    /** The TCP side sharing this service, thread and timer; null until attached. */
    private StreamDriver streams;

    /** @param turn the TURN driver, or null when TURN is off */
    ServerHandler(RendezvousService service, TurnDriver turn, Clock clock) {
        this.service = service;
        this.turn = turn;
        this.clock = clock;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (turn != null) {
            turn.attach(ctx.channel());
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        ByteBuf content = packet.content();
        int len = content.readableBytes();
        if (len > scratch.length) {
            scratch = new byte[len];
        }
        content.getBytes(content.readerIndex(), scratch, 0, len);
        if (turn != null && TurnDemux.isTurn(scratch, 0, len)) {
            turn.fromClient(packet.sender(), scratch, len);
            return;
        }
        service.handleInput(clock.nanoTime(), packet.sender(), scratch, 0, len);
        drain();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (turn != null) {
            turn.flush();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // ICMP errors and the like surface here on some platforms; a UDP server keeps going.
    }

    /** Called on the event loop by the TCP side before it accepts connections. */
    void attachStreams(StreamDriver streams) {
        this.streams = streams;
    }

    /** After the TCP side fed the service: send what it emitted, carry out its commands, re-arm the timer. */
    void afterStreamInput() {
        drain();
    }

    private void drain() {
        Transmit t;
        boolean wrote = false;
        while ((t = service.pollTransmit()) != null) {
            ctx.write(new DatagramPacket(Unpooled.wrappedBuffer(t.payload()), t.destination()));
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
        if (streams != null) {
            streams.drainCommands();
        }
        schedule();
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
        long delay = Math.max(0, next - clock.nanoTime());
        timer = ctx.executor().schedule(this::onTimer, delay, TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
        timerAt = Timers.NEVER;
        timer = null;
        service.handleTimeout(clock.nanoTime());
        drain();
    }

    ServerStats snapshot() {
        RendezvousStats s = service.stats();
        return new ServerStats(s.packetsIn(), s.bytesIn(), s.packetsOut(), s.bytesOut(), s.dropped(),
                s.registrations(), s.introductions(), s.bindings(), service.registrationCount(),
                service.pendingIntroductionCount(), s.relayedPackets(), s.relayedBytes(), service.relaySessionCount());
    }
}
