package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PermitsTest {
    /** Endpoint and address permits, IPv4 and IPv6, agree with plain sets. */
    @Test
    void agreesWithASet() throws Exception {
        Random r = new Random(3);
        Permits endpoints = new Permits();
        Permits addresses = new Permits();
        Set<InetSocketAddress> eps = new HashSet<>();
        Set<java.net.InetAddress> ips = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            InetSocketAddress a = r.nextInt(10) == 0
                    ? new InetSocketAddress(java.net.InetAddress.getByName("2001:db8::" + Integer.toHexString(r.nextInt(8))), r.nextInt(4))
                    : new InetSocketAddress(SimNet.ipv4(0x0B000000 + r.nextInt(40)), r.nextInt(300));
            if (r.nextBoolean()) {
                endpoints.add(a, true);
                eps.add(a);
                addresses.add(a, false);
                ips.add(a.getAddress());
            }
            assertEquals(eps.contains(a), endpoints.admits(a, true), a.toString());
            assertEquals(ips.contains(a.getAddress()), addresses.admits(a, false), a.toString());
        }
    }
}
