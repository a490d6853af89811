package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PermitsTest {
    private static final long FOREVER = Long.MAX_VALUE / 4;
    private static final long S = 1_000_000_000L;

    /** Each permit lives 30 s after the last packet to it, 120 s once answered; a sweep drops the dead. */
    @Test
    void permitsExpireOneByOne() {
        Permits p = new Permits();
        InetSocketAddress[] eps = new InetSocketAddress[100];
        for (int i = 0; i < eps.length; i++) {
            eps[i] = new InetSocketAddress(SimNet.ipv4(0x0B000000 + i), 5000 + i);
            p.add(eps[i], true, 0);
        }
        assertEquals(true, p.admits(eps[7], true, 10 * S, 30 * S, 120 * S), "answered at 10 s");
        p.add(eps[8], true, 20 * S);
        p.sweep(40 * S, 30 * S, 120 * S);
        for (int i = 0; i < eps.length; i++) {
            boolean alive = i == 7 || i == 8;
            assertEquals(alive, p.admits(eps[i], true, 40 * S, 30 * S, 120 * S), "permit " + i + " at 40 s");
        }
        // Both were just admitted, so both count as answered now: 120 s after the last packet to them.
        assertEquals(false, p.admits(eps[7], true, 121 * S, 30 * S, 120 * S), "sent to at 0 s: gone at 120 s");
        assertEquals(true, p.admits(eps[8], true, 121 * S, 30 * S, 120 * S), "sent to at 20 s: alive until 140 s");
    }

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
                endpoints.add(a, true, i);
                eps.add(a);
                addresses.add(a, false, i);
                ips.add(a.getAddress());
            }
            assertEquals(eps.contains(a), endpoints.admits(a, true, i, FOREVER, FOREVER), a.toString());
            assertEquals(ips.contains(a.getAddress()), addresses.admits(a, false, i, FOREVER, FOREVER), a.toString());
        }
    }
}
