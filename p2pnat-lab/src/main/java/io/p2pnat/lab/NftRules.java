package io.p2pnat.lab;

/**
 * Generates the nftables rulesets (for {@code nft -f -}) of the lab's hosts. Pure text; no I/O.
 *
 * <p>A NAT's table has a counter part, a mapping part, a filtering part and, when hairpinning,
 * a hairpin part; each part switches on its {@link NatBehaviour} enum, so a new behaviour is a new
 * case, not a redesign. The mechanisms follow LAB-FACTS.md:
 * <ul>
 *   <li>endpoint-independent, port-preserving mapping: {@code masquerade} on the public interface;
 *   <li>address-and-port-dependent filtering: conntrack; on the public side anything not
 *       {@code established,related} is dropped in forward AND input (without the input drop an
 *       early punch packet from the peer gets a confirmed conntrack entry and the NAT remaps the
 *       inside host's port when it later sends to that peer);
 *   <li>hairpinning: a postrouting chain after NAT learns public port → inside endpoint (and the
 *       reverse) from conntrack's tuples; LAN packets to the public address are DNATed through that map and, as LAN→LAN
 *       flows with {@code ct status dnat}, SNATed to the sender's public mapping, so the receiver
 *       sees the sender's public endpoint (RFC 4787 REQ-9a, "External source IP address and port").
 * </ul>
 */
final class NftRules {
    static final String TABLE = "p2pnat_lab";
    static final String NAT_UDP_IN = "pub_udp_in";
    static final String NAT_UDP_OUT = "pub_udp_out";
    static final String NAT_UNSOLICITED_DROPPED = "pub_unsolicited_dropped";
    static final String HOST_UDP_IN = "udp_in";
    static final String HOST_UDP_OUT = "udp_out";
    /** Learned hairpin mappings live no longer than conntrack's UDP timeout (30 s); see LAB-FACTS. */
    static final int LEARNED_MAP_TIMEOUT_SECONDS = 30;

    private NftRules() {}

    /** Counters of all UDP received on and sent from {@code iface} of an end host (the server). */
    static String host(String iface) {
        return "table ip " + TABLE + " {\n"
                + "\tcounter " + HOST_UDP_IN + " { }\n"
                + "\tcounter " + HOST_UDP_OUT + " { }\n"
                + "\tchain count_in {\n"
                + "\t\ttype filter hook prerouting priority raw - 10; policy accept;\n"
                + "\t\tiifname \"" + iface + "\" meta l4proto udp counter name \"" + HOST_UDP_IN + "\"\n"
                + "\t}\n"
                + "\tchain count_out {\n"
                + "\t\ttype filter hook postrouting priority srcnat + 50; policy accept;\n"
                + "\t\toifname \"" + iface + "\" meta l4proto udp counter name \"" + HOST_UDP_OUT + "\"\n"
                + "\t}\n"
                + "}\n";
    }

    /**
     * A NAT between {@link Topology#LAN} (inside) and {@link Topology#WAN} (public, holding
     * {@code publicAddress}).
     */
    static String nat(NatBehaviour behaviour, String publicAddress) {
        StringBuilder t = new StringBuilder("table ip " + TABLE + " {\n");
        t.append("\tcounter ").append(NAT_UDP_IN).append(" { }\n");
        t.append("\tcounter ").append(NAT_UDP_OUT).append(" { }\n");
        t.append("\tcounter ").append(NAT_UNSOLICITED_DROPPED).append(" { }\n");
        if (behaviour.hairpinning()) {
            t.append(hairpinMaps());
        }
        t.append(chain("count_in", "filter hook prerouting priority raw - 10",
                "iifname \"" + Topology.WAN + "\" meta l4proto udp counter name \"" + NAT_UDP_IN + "\""));
        t.append(chain("count_out", "filter hook postrouting priority srcnat + 50",
                "oifname \"" + Topology.WAN + "\" meta l4proto udp counter name \"" + NAT_UDP_OUT + "\""));
        t.append(chain("dstnat", "nat hook prerouting priority dstnat",
                behaviour.hairpinning() ? hairpinDnat(publicAddress) : ""));
        t.append(chain("srcnat", "nat hook postrouting priority srcnat",
                mapping(behaviour.mapping()) + (behaviour.hairpinning() ? hairpinSnat(publicAddress) : "")));
        if (behaviour.hairpinning()) {
            t.append(chain("learn", "filter hook postrouting priority srcnat + 10", hairpinLearn(publicAddress)));
        }
        t.append(chain("input", "filter hook input priority filter", filtering(behaviour.filtering())));
        t.append(chain("forward", "filter hook forward priority filter", filtering(behaviour.filtering())));
        return t.append("}\n").toString();
    }

    private static String mapping(NatBehaviour.Mapping mapping) {
        return switch (mapping) {
            case ENDPOINT_INDEPENDENT -> "oifname \"" + Topology.WAN + "\" masquerade";
        };
    }

    private static String filtering(NatBehaviour.Filtering filtering) {
        return switch (filtering) {
            case ADDRESS_AND_PORT_DEPENDENT -> "iifname \"" + Topology.WAN
                    + "\" ct state != { established, related } counter name \"" + NAT_UNSOLICITED_DROPPED + "\" drop";
        };
    }

    private static String hairpinMaps() {
        String flags = "\t\tflags dynamic,timeout\n\t\ttimeout " + LEARNED_MAP_TIMEOUT_SECONDS + "s\n";
        return "\tmap hairpin_in {\n"
                + "\t\ttype inet_proto . inet_service : ipv4_addr . inet_service\n" + flags + "\t}\n"
                + "\tmap hairpin_out {\n"
                + "\t\ttype inet_proto . ipv4_addr . inet_service : ipv4_addr . inet_service\n" + flags + "\t}\n";
    }

    /** LAN packets to a learned public port go to the inside endpoint that owns it. */
    private static String hairpinDnat(String publicAddress) {
        return "iifname \"" + Topology.LAN + "\" ip daddr " + publicAddress
                + " meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @hairpin_in";
    }

    /** Hairpinned LAN→LAN flows leave with the sender's public mapping as source. */
    private static String hairpinSnat(String publicAddress) {
        String lanToLan = "iifname \"" + Topology.LAN + "\" oifname \"" + Topology.LAN + "\" ct status dnat";
        return "\n\t\t" + lanToLan + " meta l4proto { tcp, udp } snat ip to meta l4proto . ip saddr . th sport map @hairpin_out"
                + "\n\t\t" + lanToLan + " snat ip to " + publicAddress;
    }

    /**
     * After NAT, remember public port ↔ inside endpoint of every source-NATed flow on the public
     * address. Only conntrack's tuples are read, so packets in either direction refresh the entries
     * (their 30 s timeout never outlives the flow's conntrack entry, which LAB-FACTS warns about,
     * since {@code update} keeps an old value). {@code ct ... proto-src/dst} need the protocol
     * fixed, hence one rule per protocol.
     */
    private static String hairpinLearn(String publicAddress) {
        StringBuilder rules = new StringBuilder();
        for (String proto : new String[] {"udp", "tcp"}) {
            if (rules.length() > 0) {
                rules.append("\n\t\t");
            }
            rules.append("meta l4proto ").append(proto)
                    .append(" ct status snat ct reply ip daddr ").append(publicAddress)
                    .append(" update @hairpin_in { meta l4proto . ct reply proto-dst : ct original ip saddr . ct original proto-src }")
                    .append(" update @hairpin_out { meta l4proto . ct original ip saddr . ct original proto-src : ct reply ip daddr . ct reply proto-dst }");
        }
        return rules.toString();
    }

    private static String chain(String name, String hook, String rules) {
        return "\tchain " + name + " {\n\t\ttype " + hook + "; policy accept;\n"
                + (rules.isEmpty() ? "" : "\t\t" + rules + "\n") + "\t}\n";
    }
}
