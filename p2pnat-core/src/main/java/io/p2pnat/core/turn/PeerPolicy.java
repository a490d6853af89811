package io.p2pnat.core.turn;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * Which peers an allocation may talk to. RFC 8656 §10.2 and §12.2: "The server MAY impose
 * restrictions on the IP address and port values allowed in the XOR-PEER-ADDRESS attribute; if a
 * value is not allowed, the server rejects the request with a 403 (Forbidden) error." Refused:
 * the unspecified address, multicast and broadcast, loopback (unless allowed, for tests), and the
 * server's own listening ports on the relay address or loopback (a relay must not feed the
 * server's own TURN/STUN socket).
 */
final class PeerPolicy {
    private final InetAddress relayAddress;
    private final boolean allowLoopback;
    private int[] serverPorts = new int[0];

    PeerPolicy(InetAddress relayAddress, boolean allowLoopback) {
        this.relayAddress = relayAddress;
        this.allowLoopback = allowLoopback;
    }

    void setServerPorts(int... ports) {
        this.serverPorts = ports.clone();
    }

    /** RFC 8656 §18.6 family code of an address: 0x01 IPv4, 0x02 IPv6. */
    static int family(InetAddress a) {
        return a instanceof Inet4Address ? 0x01 : 0x02;
    }

    /** True if the peer's family differs from the relayed address's (443, §10.2, §12.2). */
    boolean familyMismatch(InetSocketAddress peer) {
        return family(peer.getAddress()) != family(relayAddress);
    }

    /** True if permissions towards this IP address are refused (403). */
    boolean forbidden(InetAddress ip) {
        if (ip.isAnyLocalAddress() || ip.isMulticastAddress()) {
            return true;
        }
        if (ip instanceof Inet4Address && Arrays.equals(ip.getAddress(), new byte[] {-1, -1, -1, -1})) {
            return true;
        }
        return ip.isLoopbackAddress() && !allowLoopback;
    }

    /** True if datagrams may not be sent to this transport address (403 for a ChannelBind). */
    boolean forbidden(InetSocketAddress peer) {
        InetAddress ip = peer.getAddress();
        if (forbidden(ip) || peer.getPort() == 0) {
            return true;
        }
        if (ip.equals(relayAddress) || ip.isLoopbackAddress()) {
            for (int p : serverPorts) {
                if (p == peer.getPort()) {
                    return true;
                }
            }
        }
        return false;
    }
}
