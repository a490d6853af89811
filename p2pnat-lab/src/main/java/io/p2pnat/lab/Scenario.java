package io.p2pnat.lab;

/**
 * The topologies of RFC 5128's figures, built with the RFC's own addresses (server S 192.0.2.128,
 * rendezvous port 20001; client A 10.0.0.1, client B 10.1.1.3). S has a second address,
 * 192.0.2.129, on the same interface, for "another remote IP" observations.
 *
 * <p>Figures 3, 4 and 5 are the hole-punching cases (RFC 5128 §3.3); figures 1 and 2, appended
 * later, are the cases where hole punching is not the answer: relaying (§3.1) and connection
 * reversal (§3.2). Code that loops over {@link #values()} expecting a punch to succeed must skip
 * them.
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
    FIGURE_5("fig5 nested NATs"),
    /**
     * RFC 5128 §3.1, Figure 1, "relaying": the addresses of {@link #FIGURE_3}, but both NATs are
     * {@link LabNat#symmetricRandom() symmetric}: address-and-port-dependent mapping with a
     * new random public port per destination, address-and-port-dependent filtering. The public
     * endpoint S reports for a client is useless to the peer, and the port a NAT will use towards
     * the peer cannot be predicted, so hole punching fails and the peers must relay through S.
     * {@link Lab#setNatBehaviour} turns the NATs into home routers mid-session.
     */
    FIGURE_1("fig1 relay"),
    /**
     * RFC 5128 §3.2, Figure 2, "connection reversal": client A 10.0.0.1 behind NAT A (public
     * 192.0.2.1, inside 10.0.0.254/24, a {@link LabNat#homeRouter home router}); client B is
     * not behind a NAT but a public host on the Internet segment, 192.0.2.77 (the RFC's
     * 138.76.29.7 mapped into 192.0.2.0/24). A reaches B directly; B cannot reach A until A has
     * sent to B, so B asks A (through S) to connect to it instead. The only NAT is {@code natA}.
     */
    FIGURE_2("fig2 reversal");

    private final String title;

    Scenario(String title) {
        this.title = title;
    }

    /** A short human-readable name for reports, e.g. {@code "fig3 different NATs"}. */
    public String title() {
        return title;
    }
}
