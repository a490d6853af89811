package io.p2pnat.peer;

import io.p2pnat.core.Endpoints;
import io.p2pnat.peer.internal.NatCheckDriver;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Classifies the NAT in front of this host against an RFC 5780 server (a p2pnat server started
 * with {@code --alt-ip}, or any RFC 5780 STUN server minus the TCP test): mapping, filtering,
 * hairpinning, port allocation, unsolicited TCP, and a hole-punching verdict, in RFC 4787 terms.
 * What {@code p2pnat natcheck} runs. Takes 1-2 s on the calling thread.
 */
public final class NatCheck {
    private NatCheck() {
    }

    /**
     * Runs every test.
     *
     * @param server    the server's primary address
     * @param localPort the main socket's local port, 0 for any
     * @param tcp       whether to run the TCP test too
     * @return the findings; {@link NatReport#ok()} is false (and {@link NatReport#error()} says
     *         why) when the server did not answer
     * @throws IOException if the local sockets cannot be opened (e.g. the local port is in use)
     */
    public static NatReport run(InetSocketAddress server, int localPort, boolean tcp) throws IOException {
        return NatReport.of(NatCheckDriver.run(server, localPort,
                io.p2pnat.core.discovery.NatCheck.Config.defaults().withTcp(tcp)));
    }

    /**
     * Like {@link #run(InetSocketAddress, int, boolean)}, with the server as "host[:port]"
     * (default port 3478), as {@link Peer.Builder#server(String)} takes it.
     *
     * @param server    the server's primary address, "host[:port]"
     * @param localPort the main socket's local port, 0 for any
     * @param tcp       whether to run the TCP test too
     * @return the findings, as {@link #run(InetSocketAddress, int, boolean)} returns them
     * @throws IOException if the local sockets cannot be opened (e.g. the local port is in use)
     * @throws IllegalArgumentException if {@code server} is not "host[:port]" or the host is
     *         unknown, before anything is sent; the message is fit for a user
     */
    public static NatReport run(String server, int localPort, boolean tcp) throws IOException {
        return run(Endpoints.parse(server, 3478), localPort, tcp);
    }
}
