package io.p2pnat.lab;

/**
 * The topologies of RFC 5128's UDP hole-punching figures, built with the RFC's own addresses
 * (server S 192.0.2.128, rendezvous port 20001; client A 10.0.0.1, client B 10.1.1.3).
 */
public enum Scenario {
    /**
     * RFC 5128 §3.3.1, Figure 3, "peers behind different NATs": S, NAT A (public 192.0.2.1)
     * and NAT B (public 192.0.2.254) on the Internet 192.0.2.0/24; client A 10.0.0.1 behind
     * NAT A (inside 10.0.0.254/24), client B 10.1.1.3 behind NAT B (inside 10.1.1.254/24).
     */
    FIGURE_3("fig3 different NATs"),
    /**
     * RFC 5128 §3.3.2, Figure 4, "peers behind the same NAT": client A 10.0.0.1 and client B
     * 10.1.1.3 on one private LAN 10.0.0.0/8 behind NAT A (inside 10.0.0.254, public
     * 192.0.2.1). NAT A hairpins by default, as many home routers do; the clients can also
     * reach each other directly on their private addresses.
     */
    FIGURE_4("fig4 same NAT"),
    /**
     * RFC 5128 §3.3.3, Figure 5, "peers behind multiple levels of NAT": ISP NAT X (public
     * 192.0.2.1, inside 192.168.1.254/24) serves home NAT A (outer 192.168.1.1) and home NAT B
     * (outer 192.168.1.2); client A 10.0.0.1 sits behind NAT A (10.0.0.254/24), client B
     * 10.1.1.3 behind NAT B (10.1.1.254/24). The clients can only reach each other through
     * NAT X's public endpoints, so hole punching works only because NAT X hairpins (on by
     * default; switch it off with {@link LabOptions#withHairpinning}).
     */
    FIGURE_5("fig5 nested NATs");

    private final String title;

    Scenario(String title) {
        this.title = title;
    }

    /** A short human-readable name for reports, e.g. {@code "fig3 different NATs"}. */
    public String title() {
        return title;
    }
}
