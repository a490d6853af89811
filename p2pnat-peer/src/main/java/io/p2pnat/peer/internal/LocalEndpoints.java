package io.p2pnat.peer.internal;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Our private endpoints as we see them (RFC 5128 §3.3: the client registers these with S):
 * every address of the server's family (IPv4, or IPv6 for an IPv6 server) of every interface
 * that is up, link-local ones aside, with the bound port. Loopback only counts when the server
 * itself is on loopback.
 */
public final class LocalEndpoints {
    private LocalEndpoints() {
    }

    public static List<InetSocketAddress> discover(InetSocketAddress bound, InetSocketAddress server) {
        int port = bound.getPort();
        if (!bound.getAddress().isAnyLocalAddress()) {
            return List.of(new InetSocketAddress(bound.getAddress(), port));
        }
        boolean loopbackServer = server.getAddress().isLoopbackAddress();
        boolean v6 = server.getAddress() instanceof java.net.Inet6Address;
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if ((a instanceof Inet4Address) == v6 || a.isLinkLocalAddress()) {
                        continue;
                    }
                    if (a.isLoopbackAddress() != loopbackServer) {
                        continue;
                    }
                    out.add(new InetSocketAddress(a, port));
                }
            }
        } catch (SocketException e) {
            // No interface list: register none; the public endpoint still works.
        }
        out.sort((x, y) -> x.getAddress().getHostAddress().compareTo(y.getAddress().getHostAddress()));
        return out.size() > 8 ? out.subList(0, 8) : out;
    }
}
