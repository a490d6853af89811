package io.p2pnat.peer.internal;

import io.p2pnat.core.Clock;
import io.p2pnat.core.Timers;
import io.p2pnat.core.discovery.NatCheck;
import io.p2pnat.core.discovery.NatCheckResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Runs a {@link NatCheck} over real sockets on the calling thread: {@link NatCheck#SOCKETS} UDP
 * sockets (the main one on the requested port), one selector, and for the TCP test a helper
 * thread that opens a listener and a connection on one local port (SO_REUSEADDR + SO_REUSEPORT,
 * as TCP hole punching does, RFC 5128 §3.4), so a SYN the NAT lets in is accepted rather than
 * reset by our own host.
 */
public final class NatCheckDriver {
    private static final int TCP_TIMEOUT_MS = 6000;

    private NatCheckDriver() {
    }

    /**
     * Classifies the NAT in front of this host against an RFC 5780 server.
     *
     * @param server    the server's primary address
     * @param localPort the main socket's local port, 0 for any
     * @throws IOException if the sockets cannot be opened (e.g. the local port is in use)
     */
    public static NatCheckResult run(InetSocketAddress server, int localPort, NatCheck.Config config) throws IOException {
        Clock clock = Clock.system();
        InetAddress localIp = routeTo(server);
        List<DatagramChannel> channels = new ArrayList<>();
        Selector selector = Selector.open();
        ConcurrentLinkedQueue<Consumer<NatCheck>> fromTcp = new ConcurrentLinkedQueue<>();
        try {
            List<InetSocketAddress> locals = new ArrayList<>();
            for (int i = 0; i < NatCheck.SOCKETS; i++) {
                DatagramChannel ch = DatagramChannel.open();
                channels.add(ch);
                try {
                    ch.bind(new InetSocketAddress(i == NatCheck.MAIN ? localPort : 0));
                } catch (IOException e) {
                    throw new IOException("cannot bind UDP port " + (i == NatCheck.MAIN ? localPort : 0) + ": " + e.getMessage(), e);
                }
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ, i);
                locals.add(new InetSocketAddress(localIp, ((InetSocketAddress) ch.getLocalAddress()).getPort()));
            }
            NatCheck check = new NatCheck(server, locals, new SecureRandom(), config);
            check.start(clock.nanoTime());
            ByteBuffer rx = ByteBuffer.allocate(65536);
            while (!check.isDone()) {
                flush(check, channels);
                NatCheck.TcpProbe probe = check.pollTcpProbe();
                if (probe != null) {
                    startTcp(probe, clock, fromTcp, selector);
                }
                Consumer<NatCheck> c;
                while ((c = fromTcp.poll()) != null) {
                    c.accept(check);
                }
                if (check.isDone()) {
                    break;
                }
                long now = clock.nanoTime();
                long next = check.nextTimeout();
                if (next != Timers.NEVER && next <= now) {
                    check.handleTimeout(now);
                    continue;
                }
                long waitMs = next == Timers.NEVER ? 200 : Math.max(1, Math.min(200, (next - now + 999_999) / 1_000_000));
                selector.select(waitMs);
                for (SelectionKey key : selector.selectedKeys()) {
                    int index = (Integer) key.attachment();
                    DatagramChannel ch = (DatagramChannel) key.channel();
                    for (int n = 0; n < 64; n++) {
                        rx.clear();
                        SocketAddress from;
                        try {
                            from = ch.receive(rx);
                        } catch (java.net.PortUnreachableException e) {
                            continue;
                        }
                        if (from == null) {
                            break;
                        }
                        rx.flip();
                        check.handleInput(clock.nanoTime(), index, (InetSocketAddress) from, rx.array(), 0, rx.limit());
                    }
                }
                selector.selectedKeys().clear();
            }
            return check.result();
        } finally {
            selector.close();
            for (DatagramChannel ch : channels) {
                ch.close();
            }
        }
    }

    private static void flush(NatCheck check, List<DatagramChannel> channels) {
        NatCheck.Datagram d;
        while ((d = check.pollTransmit()) != null) {
            try {
                channels.get(d.socket()).send(ByteBuffer.wrap(d.payload()), d.destination());
            } catch (IOException e) {
                // a lost datagram: the state machine retransmits or counts it as silence
            }
        }
    }

    /** The local address the route to {@code server} leaves from (no packet is sent). */
    static InetAddress routeTo(InetSocketAddress server) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(server);
            InetAddress a = s.getLocalAddress();
            if (a == null || a.isAnyLocalAddress()) {
                throw new IOException("no route to " + server);
            }
            return a;
        }
    }

    /**
     * The TCP test on a helper thread: listen and connect on one local port, send the TCP-PROBE
     * request, accept whatever SYN the NAT lets in while the server probes, read the answer.
     */
    private static void startTcp(NatCheck.TcpProbe probe, Clock clock, ConcurrentLinkedQueue<Consumer<NatCheck>> results,
                                 Selector wake) {
        Thread t = new Thread(() -> {
            Consumer<NatCheck> outcome;
            try {
                byte[] answer = tcpExchange(probe);
                outcome = c -> c.handleTcpAnswer(clock.nanoTime(), answer);
            } catch (IOException | RuntimeException e) {
                String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                outcome = c -> c.handleTcpFailure(clock.nanoTime(), why);
            }
            results.add(outcome);
            wake.wakeup();
        }, "natcheck-tcp");
        t.setDaemon(true);
        t.start();
    }

    private static byte[] tcpExchange(NatCheck.TcpProbe probe) throws IOException {
        try (ServerSocket listener = new ServerSocket()) {
            listener.setReuseAddress(true);
            listener.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            listener.bind(new InetSocketAddress(0), 8);
            int port = listener.getLocalPort();
            Thread acceptor = new Thread(() -> {
                try {
                    listener.setSoTimeout(TCP_TIMEOUT_MS);
                    try (Socket in = listener.accept()) {
                        // the server's probe got through: nothing to say, it only needed the handshake
                    }
                } catch (IOException ignored) {
                    // closed or timed out: no unsolicited SYN got in
                }
            }, "natcheck-tcp-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            try (Socket s = new Socket()) {
                s.setReuseAddress(true);
                s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                s.bind(new InetSocketAddress(port));
                try {
                    s.connect(probe.server(), 3000);
                } catch (IOException e) {
                    throw new IOException("cannot connect to the server's TCP probe port " + probe.server().getAddress().getHostAddress()
                            + ":" + probe.server().getPort() + ": " + e.getMessage(), e);
                }
                s.setSoTimeout(TCP_TIMEOUT_MS);
                OutputStream out = s.getOutputStream();
                out.write(probe.request());
                out.flush();
                InputStream in = s.getInputStream();
                byte[] header = in.readNBytes(20);
                if (header.length < 20) {
                    throw new IOException("the server closed the TCP connection without an answer");
                }
                int length = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
                byte[] body = in.readNBytes(length);
                if (body.length < length) {
                    throw new IOException("the server's TCP answer was cut short");
                }
                byte[] all = new byte[20 + length];
                System.arraycopy(header, 0, all, 0, 20);
                System.arraycopy(body, 0, all, 20, length);
                return all;
            }
        }
    }
}
