package io.p2pnat.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Generates the nftables rulesets (for {@code nft -f -}) of the lab's hosts. Pure text; no I/O.
 *
 * <p>A NAT's table ({@code ip p2pnat_lab}) has counters, a mapping part (chain {@code srcnat}), an
 * inbound part (chain {@code dstnat}: endpoint-independent or address-dependent filtering,
 * hairpinning), a {@code learn} chain that remembers after NAT what the NAT did, and a filtering
 * part (chains {@code input} and {@code forward}); each part switches on its {@link LabNat}
 * enum. The mechanisms follow docs/lab-facts.md:
 * <ul>
 *   <li>endpoint-independent, port-preserving mapping: {@code masquerade} on the public interface;
 *   <li>other mappings: a learned map that reuses an existing public port (inside endpoint →
 *       public endpoint for endpoint-independent, (inside endpoint, remote IP) → public endpoint
 *       for address-dependent; nothing for address-and-port-dependent), then the allocator:
 *       {@code snat} to the public address with {@code numgen inc mod 500} through a map of real
 *       port numbers (sequential) or {@code masquerade fully-random} (random);
 *   <li>address-and-port-dependent filtering: conntrack; on the public side anything not
 *       {@code established,related} is dropped in forward AND input (without the input drop an
 *       early punch packet from the peer gets a confirmed conntrack entry and the NAT remaps the
 *       inside host's port when it later sends to that peer);
 *   <li>endpoint-independent filtering: prerouting DNAT of the public address through the learned
 *       map public port → inside endpoint; address-dependent filtering: the same DNAT, only for
 *       (public port, remote IP) pairs learned on the way out; the forward chain accepts flows with
 *       {@code ct status dnat};
 *   <li>unsolicited TCP: dropped like everything else, or answered with {@code reject with tcp reset};
 *   <li>hairpinning: LAN packets to the public address are DNATed through the learned map and, as
 *       LAN→LAN flows with {@code ct status dnat}, SNATed to the sender's public mapping, so the
 *       receiver sees the sender's public endpoint (RFC 4787 REQ-9a, "External source IP address
 *       and port").
 * </ul>
 *
 * <p>A NAT's <em>boot</em> (0 as built, one more per {@link Lab#rebootNat}) moves its allocators
 * to other ports, so mappings made after a reboot get other public ports than before while the
 * behaviour stays what {@link LabNat} says (see {@link #REBOOT_SEQUENTIAL_SHIFT},
 * {@link #rebootPreservingBlock} and {@link #rebootRandomBlock}).
 */
final class NftRules {
    static final String TABLE = "p2pnat_lab";
    static final String NAT_UDP_IN = "pub_udp_in";
    static final String NAT_UDP_OUT = "pub_udp_out";
    static final String NAT_UNSOLICITED_DROPPED = "pub_unsolicited_dropped";
    static final String HOST_UDP_IN = "udp_in";
    static final String HOST_UDP_OUT = "udp_out";
    /** Public port → inside endpoint, for hairpinning and endpoint-independent/address-dependent filtering. */
    static final String LEARNED_IN = "learned_in";
    /** Inside endpoint → public endpoint, for hairpinning and endpoint-independent non-preserving mapping. */
    static final String LEARNED_OUT = "learned_out";
    /** (Inside endpoint, remote IP) → public endpoint, for address-dependent mapping. */
    static final String ADM_OUT = "adm_out";
    /** (Public port, remote IP) pairs the inside has sent to, for address-dependent filtering. */
    static final String ADF_PEERS = "adf_peers";
    /** Learned mappings live no longer than conntrack's UDP timeout (30 s); see docs/lab-facts.md. */
    static final int LEARNED_MAP_TIMEOUT_SECONDS = 30;
    /**
     * How far a sequential allocator's starting point moves per boot, in steps: boot {@code n}
     * hands out {@code 40000 + ((i + 250 n) mod 500) * delta} for its {@code i}-th new mapping, so
     * consecutive boots start half a cycle apart and repeat no port unless one of them made more
     * than 250 mappings.
     */
    static final int REBOOT_SEQUENTIAL_SHIFT = LabNat.SEQUENTIAL_PORTS / 2;

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

    /** A counter's values, carried into a replacement ruleset. */
    record Count(long packets, long bytes) {}

    /**
     * A NAT between {@link Topology#LAN} (inside) and {@link Topology#WAN} (public, holding
     * {@code publicAddress}).
     */
    static String nat(LabNat behaviour, String publicAddress) {
        return nat(behaviour, publicAddress, Map.of());
    }

    /**
     * As {@link #nat(LabNat, String)}, with the named counters starting at the given values
     * (so counters survive {@link Lab#setNatBehaviour}).
     */
    static String nat(LabNat b, String publicAddress, Map<String, Count> counters) {
        return nat(b, publicAddress, counters, 0);
    }

    /**
     * As {@link #nat(LabNat, String, Map)} for the NAT's {@code boot}-th reboot (0: as built).
     * After a reboot the allocators hand out other ports:
     * <ul>
     *   <li>endpoint-independent port-preserving: the inside port can no longer be kept (it is the
     *       port of before), so the NAT stays endpoint-independent through the learned map inside
     *       endpoint → public endpoint, and a new inside endpoint gets a random port of
     *       {@link #rebootPreservingBlock(int)} (never the inside port's range of 1234 and
     *       32768-60999);
     *   <li>sequential: the same ports {@code 40000 + k * delta}, the counter starting
     *       {@link #REBOOT_SEQUENTIAL_SHIFT} steps further on per boot;
     *   <li>random: random ports of {@link #rebootRandomBlock(int)}, half of 1024-65535, the
     *       other half on the next boot.
     * </ul>
     */
    static String nat(LabNat b, String publicAddress, Map<String, Count> counters, int boot) {
        if (boot < 0) {
            throw new IllegalArgumentException("boot " + boot);
        }
        boolean rebootedPreserving = boot > 0 && b.portAllocation() == LabNat.PortAllocation.PRESERVING;
        boolean learnIn = b.hairpinning() || b.filtering() != LabNat.Filtering.ADDRESS_AND_PORT_DEPENDENT;
        boolean learnOut = b.hairpinning() || b.mapping() == LabNat.Mapping.ENDPOINT_INDEPENDENT_NON_PRESERVING
                || rebootedPreserving;
        boolean learnAdm = b.mapping() == LabNat.Mapping.ADDRESS_DEPENDENT;
        boolean learnAdf = b.filtering() == LabNat.Filtering.ADDRESS_DEPENDENT;

        StringBuilder t = new StringBuilder("table ip " + TABLE + " {\n");
        for (String name : List.of(NAT_UDP_IN, NAT_UDP_OUT, NAT_UNSOLICITED_DROPPED)) {
            Count c = counters.get(name);
            t.append("\tcounter ").append(name)
                    .append(c == null ? " { }\n" : " { packets " + c.packets() + " bytes " + c.bytes() + " }\n");
        }
        if (learnIn) {
            t.append(learnedMap(LEARNED_IN, "inet_proto . inet_service : ipv4_addr . inet_service"));
        }
        if (learnOut) {
            t.append(learnedMap(LEARNED_OUT, "inet_proto . ipv4_addr . inet_service : ipv4_addr . inet_service"));
        }
        if (learnAdm) {
            t.append(learnedMap(ADM_OUT, "inet_proto . ipv4_addr . inet_service . ipv4_addr : ipv4_addr . inet_service"));
        }
        if (learnAdf) {
            t.append(learnedMap(ADF_PEERS, "inet_proto . inet_service . ipv4_addr"));
        }
        t.append(chain("count_in", "filter hook prerouting priority raw - 10",
                List.of("iifname \"" + Topology.WAN + "\" meta l4proto udp counter name \"" + NAT_UDP_IN + "\"")));
        t.append(chain("count_out", "filter hook postrouting priority srcnat + 50",
                List.of("oifname \"" + Topology.WAN + "\" meta l4proto udp counter name \"" + NAT_UDP_OUT + "\"")));

        List<String> dstnat = new ArrayList<>(inboundDnat(b.filtering(), publicAddress));
        if (b.hairpinning()) {
            dstnat.add(hairpinDnat(publicAddress));
        }
        t.append(chain("dstnat", "nat hook prerouting priority dstnat", dstnat));

        List<String> srcnat = new ArrayList<>(mapping(b, publicAddress, boot));
        if (b.hairpinning()) {
            srcnat.addAll(hairpinSnat(publicAddress));
        }
        t.append(chain("srcnat", "nat hook postrouting priority srcnat", srcnat));

        if (learnIn || learnOut || learnAdm || learnAdf) {
            t.append(chain("learn", "filter hook postrouting priority srcnat + 10",
                    learn(publicAddress, learnIn, learnOut, learnAdm, learnAdf)));
        }
        t.append(chain("input", "filter hook input priority filter", filtering(b, false)));
        t.append(chain("forward", "filter hook forward priority filter", filtering(b, true)));
        return t.append("}\n").toString();
    }

    /** {@code table} without its learning chain (nothing is learned while it is loaded). */
    static String withoutLearning(String table) {
        int start = table.indexOf("\tchain learn {");
        if (start < 0) {
            return table;
        }
        int end = table.indexOf("\t}\n", start) + 3;
        return table.substring(0, start) + table.substring(end);
    }

    /** {@code nft -f} input that adds {@code table}'s learning chain to the loaded table; null if it has none. */
    static String learningOf(String table) {
        int start = table.indexOf("\tchain learn {");
        if (start < 0) {
            return null;
        }
        int end = table.indexOf("\t}\n", start) + 3;
        return "table ip " + TABLE + " {\n" + table.substring(start, end) + "}\n";
    }

    /**
     * {@code nft -f} input that swaps in {@code table} (text of {@code table ip p2pnat_lab {...}})
     * in one transaction: declaring the table first makes the delete valid whether or not it exists.
     */
    static String replacing(String table) {
        return "table ip " + TABLE + " { }\ndelete table ip " + TABLE + "\n" + table;
    }

    /**
     * The public-side mapping rules: whatever reuses an existing public port (a learned map)
     * first; if its lookup misses, the rule does not apply and the allocator below it does.
     */
    private static List<String> mapping(LabNat b, String publicAddress, int boot) {
        String wan = "oifname \"" + Topology.WAN + "\" ";
        String l4 = "meta l4proto { tcp, udp } ";
        List<String> rules = new ArrayList<>();
        switch (b.mapping()) {
            case ENDPOINT_INDEPENDENT -> {
                if (boot == 0) {
                    return List.of(wan + "masquerade");
                }
                int[] block = rebootPreservingBlock(boot);
                return List.of(
                        wan + l4 + "snat ip to meta l4proto . ip saddr . th sport map @" + LEARNED_OUT,
                        wan + l4 + "masquerade to :" + block[0] + "-" + block[1] + " fully-random",
                        wan + "masquerade");
            }
            case ENDPOINT_INDEPENDENT_NON_PRESERVING ->
                rules.add(wan + l4 + "snat ip to meta l4proto . ip saddr . th sport map @" + LEARNED_OUT);
            case ADDRESS_DEPENDENT ->
                rules.add(wan + l4 + "snat ip to meta l4proto . ip saddr . th sport . ip daddr map @" + ADM_OUT);
            case ADDRESS_AND_PORT_DEPENDENT -> { }
            default -> throw new IllegalArgumentException(String.valueOf(b.mapping()));
        }
        switch (b.portAllocation()) {
            case SEQUENTIAL -> {
                rules.add(wan + l4 + "snat ip to " + publicAddress + " : "
                        + sequentialPorts(b.portDelta(), boot * REBOOT_SEQUENTIAL_SHIFT));
                rules.add(wan + "masquerade");
            }
            case RANDOM -> {
                if (boot == 0) {
                    rules.add(wan + "masquerade fully-random");
                } else {
                    int[] block = rebootRandomBlock(boot);
                    rules.add(wan + l4 + "masquerade to :" + block[0] + "-" + block[1] + " fully-random");
                    rules.add(wan + "masquerade fully-random");
                }
            }
            default -> throw new IllegalArgumentException("no allocator for " + b.portAllocation());
        }
        return rules;
    }

    /**
     * {@code numgen inc mod N} counts 0, 1, 2, ... per new mapping; it yields host byte order, so
     * it cannot be a port by itself (docs/lab-facts.md): an anonymous map turns it into real port numbers.
     */
    static String sequentialPorts(int delta) {
        return sequentialPorts(delta, 0);
    }

    /**
     * As {@link #sequentialPorts(int)}, the counter's value {@code i} meaning the port of step
     * {@code (i + shift) mod 500}: the same ports, in the same order, starting elsewhere.
     */
    static String sequentialPorts(int delta, int shift) {
        StringBuilder map = new StringBuilder("numgen inc mod " + LabNat.SEQUENTIAL_PORTS + " map { ");
        for (int i = 0; i < LabNat.SEQUENTIAL_PORTS; i++) {
            int step = Math.floorMod(i + shift, LabNat.SEQUENTIAL_PORTS);
            map.append(i == 0 ? "" : ", ").append(i).append(" : ").append(LabNat.SEQUENTIAL_FIRST_PORT + step * delta);
        }
        return map.append(" }").toString();
    }

    /**
     * The ports a rebooted endpoint-independent port-preserving NAT hands out, {@code {first, last}}:
     * 10000-19999 on odd boots, 20000-29999 on even ones. Neither holds the lab's client port 1234
     * nor Linux's ephemeral range (32768-60999), the inside ports such a NAT kept before its first
     * reboot; consecutive boots never share a port.
     */
    static int[] rebootPreservingBlock(int boot) {
        if (boot < 1) {
            throw new IllegalArgumentException("boot " + boot + ": as built, the NAT preserves ports");
        }
        return boot % 2 == 1 ? new int[] {10000, 19999} : new int[] {20000, 29999};
    }

    /**
     * The ports a rebooted random allocator hands out, {@code {first, last}}: 1024-33279 on odd
     * boots, 33280-65535 on even ones, so consecutive reboots never share a port (against the
     * first boot's 1024-65535 a repeat has the usual chance of one in 64512 per mapping).
     */
    static int[] rebootRandomBlock(int boot) {
        if (boot < 1) {
            throw new IllegalArgumentException("boot " + boot + ": as built, the NAT uses 1024-65535");
        }
        return boot % 2 == 1 ? new int[] {1024, 33279} : new int[] {33280, 65535};
    }

    /** Outside packets to the public address that filtering lets through to a learned mapping. */
    private static List<String> inboundDnat(LabNat.Filtering filtering, String publicAddress) {
        String head = "iifname \"" + Topology.WAN + "\" ip daddr " + publicAddress + " meta l4proto { tcp, udp } ";
        String dnat = "dnat ip to meta l4proto . th dport map @" + LEARNED_IN;
        return switch (filtering) {
            case ENDPOINT_INDEPENDENT -> List.of(head + dnat);
            case ADDRESS_DEPENDENT -> List.of(head + "meta l4proto . th dport . ip saddr @" + ADF_PEERS + " " + dnat);
            case ADDRESS_AND_PORT_DEPENDENT -> List.of();
        };
    }

    /**
     * Public-side packets that are not part of a flow conntrack knows are dropped (or, for TCP,
     * reset), except flows the inbound DNAT let in (forward chain only: DNATed packets are routed
     * on to the inside, never to the NAT itself).
     */
    private static List<String> filtering(LabNat b, boolean forward) {
        String unsolicited = "iifname \"" + Topology.WAN + "\" ct state != { established, related } ";
        String count = "counter name \"" + NAT_UNSOLICITED_DROPPED + "\" ";
        List<String> rules = new ArrayList<>();
        if (forward && b.filtering() != LabNat.Filtering.ADDRESS_AND_PORT_DEPENDENT) {
            rules.add(unsolicited + "ct status dnat accept");
        }
        if (b.unsolicitedTcp() == LabNat.UnsolicitedTcp.RST) {
            rules.add(unsolicited + "meta l4proto tcp " + count + "reject with tcp reset");
        }
        rules.add(unsolicited + count + "drop");
        return rules;
    }

    private static String learnedMap(String name, String type) {
        return "\t" + (type.contains(":") ? "map " : "set ") + name + " {\n"
                + "\t\ttype " + type + "\n"
                + "\t\tflags dynamic,timeout\n\t\ttimeout " + LEARNED_MAP_TIMEOUT_SECONDS + "s\n\t}\n";
    }

    /** LAN packets to a learned public port go to the inside endpoint that owns it. */
    private static String hairpinDnat(String publicAddress) {
        return "iifname \"" + Topology.LAN + "\" ip daddr " + publicAddress
                + " meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @" + LEARNED_IN;
    }

    /** Hairpinned LAN→LAN flows leave with the sender's public mapping as source. */
    private static List<String> hairpinSnat(String publicAddress) {
        String lanToLan = "iifname \"" + Topology.LAN + "\" oifname \"" + Topology.LAN + "\" ct status dnat";
        return List.of(
                lanToLan + " meta l4proto { tcp, udp } snat ip to meta l4proto . ip saddr . th sport map @" + LEARNED_OUT,
                lanToLan + " snat ip to " + publicAddress);
    }

    /**
     * After NAT, remember what the NAT did, from conntrack's tuples only, so packets in either
     * direction refresh the entries (their 30 s timeout never outlives the flow's conntrack entry,
     * which docs/lab-facts.md warns about, since {@code update} keeps an old value). Flows the NAT
     * source-translated to its public address teach public port ↔ inside endpoint, (inside
     * endpoint, remote IP) → public endpoint and (public port, remote IP); flows it let in by
     * destination translation refresh the first two. {@code ct ... proto-src/dst} need the
     * protocol fixed, hence one rule per protocol.
     */
    private static List<String> learn(String publicAddress, boolean in, boolean out, boolean adm, boolean adf) {
        List<String> rules = new ArrayList<>();
        for (String proto : List.of("udp", "tcp")) {
            StringBuilder snat = new StringBuilder("meta l4proto " + proto + " ct status snat ct reply ip daddr " + publicAddress);
            if (in) {
                snat.append(" update @" + LEARNED_IN + " { meta l4proto . ct reply proto-dst : ct original ip saddr . ct original proto-src }");
            }
            if (out) {
                snat.append(" update @" + LEARNED_OUT + " { meta l4proto . ct original ip saddr . ct original proto-src : ct reply ip daddr . ct reply proto-dst }");
            }
            if (adm) {
                snat.append(" update @" + ADM_OUT + " { meta l4proto . ct original ip saddr . ct original proto-src . ct original ip daddr : ct reply ip daddr . ct reply proto-dst }");
            }
            if (adf) {
                snat.append(" update @" + ADF_PEERS + " { meta l4proto . ct reply proto-dst . ct original ip daddr }");
            }
            rules.add(snat.toString());
            if (in || out) {
                StringBuilder dnat = new StringBuilder("meta l4proto " + proto + " ct status dnat ct original ip daddr " + publicAddress);
                if (in) {
                    dnat.append(" update @" + LEARNED_IN + " { meta l4proto . ct original proto-dst : ct reply ip saddr . ct reply proto-src }");
                }
                if (out) {
                    dnat.append(" update @" + LEARNED_OUT + " { meta l4proto . ct reply ip saddr . ct reply proto-src : ct original ip daddr . ct original proto-dst }");
                }
                rules.add(dnat.toString());
            }
        }
        return rules;
    }

    private static String chain(String name, String hook, List<String> rules) {
        StringBuilder c = new StringBuilder("\tchain " + name + " {\n\t\ttype " + hook + "; policy accept;\n");
        rules.forEach(r -> c.append("\t\t").append(r).append('\n'));
        return c.append("\t}\n").toString();
    }
}
