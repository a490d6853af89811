package io.p2pnat.core.peer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Port prediction (RFC 5128 §3.5): a NAT that allocates its public ports in sequence hands a
 * new destination the port after its last one, so the endpoints a peer behind it will use
 * next can be named in advance and checked.
 */
final class PortPrediction {
    /** Predicted ports for a sequentially allocating remote NAT. */
    static final int WINDOW = 8;

    private PortPrediction() {
    }

    /**
     * The next {@link #WINDOW} endpoints {@code nat} hands out on {@code address}, in the order
     * it hands them out; ports that would fall outside 1 to 65535 are left out.
     */
    static List<InetSocketAddress> window(NatProfile nat, InetAddress address) {
        List<InetSocketAddress> endpoints = new ArrayList<>(WINDOW);
        for (int k = 1; k <= WINDOW; k++) {
            int port = nat.lastPort() + nat.delta() * k;
            if (port > 0 && port < 65536) {
                endpoints.add(new InetSocketAddress(address, port));
            }
        }
        return endpoints;
    }
}
