package io.p2pnat.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.p2pnat.core.SourceBudget;
import io.p2pnat.core.discovery.BehaviorResponder;
import io.p2pnat.core.discovery.ServerSocketRole;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * NAT behaviour discovery (RFC 5780 §4, §6.1) on the rendezvous server: the Netty side of the
 * sans-I/O {@link BehaviorResponder}. The server's four sockets are the main UDP socket (primary
 * address and port), the alternate-port socket, and, with an alternate IP address, two more this
 * class binds (alternate address with each port). A handler in front of each socket answers
 * Binding requests as RFC 5780 says, from whichever socket a CHANGE-REQUEST names; everything else
 * passes on untouched (the rendezvous service on the main socket, the plain Binding responder on
 * the alternate port). On the main socket of a server without an alternate IP only Binding requests
 * carrying CHANGE-REQUEST or PADDING are taken, so plain Binding behaves as before.
 *
 * <p>With an alternate IP a TCP listener on the primary address and alternate port serves
 * {@link TcpProbeHandler}: Binding over TCP and the p2pnat TCP-PROBE (an unsolicited SYN from the
 * alternate address to the client's TCP mapping, to learn whether its NAT drops or resets it).
 */
public final class BehaviorDiscovery implements AutoCloseable {
    /** How long the server's unsolicited SYN may go unanswered before it counts as dropped. */
    static final int PROBE_TIMEOUT_MS = 1500;

    private final BehaviorResponder responder;
    private final List<Channel> owned;
    private final Channel tcpListener;

    private BehaviorDiscovery(BehaviorResponder responder, List<Channel> owned, Channel tcpListener) {
        this.responder = responder;
        this.owned = owned;
        this.tcpListener = tcpListener;
    }

    /**
     * Puts the responder in front of the server's UDP sockets and binds the alternate address's.
     *
     * @param group   the server's event loop group (the sockets' group)
     * @param primary the main UDP socket (bound to a specific address when {@code altIp} is given)
     * @param altPort the alternate-port UDP socket, or null for none (then nothing can change port)
     * @param altIp   the second IP address, local to this host, or null
     * @throws IOException if a socket cannot be bound
     * @throws IllegalArgumentException for addresses RFC 5780 cannot work with (see {@link BehaviorResponder})
     */
    static BehaviorDiscovery attach(EventLoopGroup group, Channel primary, Channel altPort, InetAddress altIp)
            throws IOException {
        return attach(group, primary, altPort, altIp, new SourceBudget());
    }

    /**
     * Like {@link #attach(EventLoopGroup, Channel, Channel, InetAddress)}, metering answers with
     * {@code budget}, the server's budget for unauthenticated sources shared with its other UDP services.
     */
    static BehaviorDiscovery attach(EventLoopGroup group, Channel primary, Channel altPort, InetAddress altIp,
                                    SourceBudget budget) throws IOException {
        InetSocketAddress main = (InetSocketAddress) primary.localAddress();
        int alt = altPort == null ? 0 : ((InetSocketAddress) altPort.localAddress()).getPort();
        BehaviorResponder responder = new BehaviorResponder(main, alt, altIp, budget);
        // Read on the event loop, filled here: a datagram for a socket not yet listed is dropped.
        Map<ServerSocketRole, Channel> sockets = new ConcurrentHashMap<>();
        List<Channel> owned = new ArrayList<>();
        try {
            sockets.put(ServerSocketRole.PRIMARY, primary);
            if (altPort != null) {
                sockets.put(ServerSocketRole.CHANGED_PORT, altPort);
            }
            Channel tcp = null;
            if (altIp != null) {
                for (ServerSocketRole role : List.of(ServerSocketRole.CHANGED_IP, ServerSocketRole.CHANGED_BOTH)) {
                    Channel ch = bindUdp(group, responder.address(role), new BehaviorUdpHandler(responder, sockets, role, false));
                    owned.add(ch);
                    sockets.put(role, ch);
                }
                tcp = TcpProbeHandler.listen(group, responder.address(ServerSocketRole.CHANGED_PORT), responder,
                        altIp, PROBE_TIMEOUT_MS);
                owned.add(tcp);
            }
            primary.pipeline().addFirst(BehaviorUdpHandler.NAME,
                    new BehaviorUdpHandler(responder, sockets, ServerSocketRole.PRIMARY, true));
            if (altPort != null) {
                altPort.pipeline().addFirst(BehaviorUdpHandler.NAME,
                        new BehaviorUdpHandler(responder, sockets, ServerSocketRole.CHANGED_PORT, true));
            }
            return new BehaviorDiscovery(responder, owned, tcp);
        } catch (IOException | RuntimeException e) {
            owned.forEach(Channel::close);
            throw e;
        }
    }

    private static Channel bindUdp(EventLoopGroup group, InetSocketAddress at, BehaviorUdpHandler handler) throws IOException {
        try {
            Channel ch = new Bootstrap().group(group).channel(Transport.datagramClass())
                    .handler(new io.netty.channel.ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(BehaviorUdpHandler.NAME, handler);
                        }
                    })
                    .bind(at).sync().channel();
            return ch;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding UDP " + at, e);
        } catch (Exception e) {
            throw new IOException("cannot listen on UDP " + at.getAddress().getHostAddress() + ":" + at.getPort()
                    + " for NAT behaviour discovery: " + e.getMessage(), e);
        }
    }

    /** {@return true with a second IP address: all RFC 5780 tests and the TCP probe can run} */
    public boolean hasAlternateIp() {
        return responder.hasAlternateIp();
    }

    /** The address of one of the four sockets, or null if the server lacks it. */
    InetSocketAddress address(ServerSocketRole role) {
        return responder.address(role);
    }

    /**
     * {@return the TCP listener serving TCP-PROBE (primary address, alternate port), or null
     * without an alternate IP}
     */
    public InetSocketAddress tcpProbeAddress() {
        return tcpListener == null ? null : (InetSocketAddress) tcpListener.localAddress();
    }

    /** {@return a one-line description for the server's start-up message} */
    public String describe() {
        StringBuilder sb = new StringBuilder("NAT behaviour discovery (RFC 5780): ");
        if (responder.hasAlternateIp()) {
            sb.append("udp ");
            for (ServerSocketRole r : ServerSocketRole.values()) {
                sb.append(r == ServerSocketRole.PRIMARY ? "" : ", ").append(io.p2pnat.core.Endpoints.format(address(r)));
            }
            sb.append("; tcp probe on ").append(io.p2pnat.core.Endpoints.format(tcpProbeAddress()));
        } else if (address(ServerSocketRole.CHANGED_PORT) != null) {
            sb.append("port tests only (no --alt-ip: mapping and filtering cannot be fully classified, no TCP test)");
        } else {
            sb.append("off (no alternate port)");
        }
        return sb.toString();
    }

    /** Closes the sockets and the listener this class bound; the server's own sockets stay. */
    @Override
    public void close() {
        for (Channel ch : owned) {
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
