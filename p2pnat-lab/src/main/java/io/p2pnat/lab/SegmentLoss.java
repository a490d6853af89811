package io.p2pnat.lab;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Random loss on lab segments and wire-sized packets ({@link LabOptions#withSegmentLoss},
 * {@link LabOptions#withWireSizedPackets}); no daemon.
 *
 * <p>Loss: one nftables table {@value #TABLE} in the bridge family in the switch namespace, its
 * forward chain holding per lossy segment a counter of every IPv4 frame the segment's bridge
 * forwards and a rule dropping {@code numgen random mod 10000 < N} of them. A segment's frames are
 * matched by their input port ({@code iifname} in the set of the segment's switch ports): this
 * kernel's nftables has no {@code meta ibrname} ("Operation not supported"). The bridge-family
 * forward hook runs before br_netfilter's, so a dropped packet never reaches a delay's NFQUEUE.
 *
 * <p>Wire-sized packets: {@code ip link set dev IF gso_max_segs 1} on each host interface attached
 * to the segment: the kernel then segments larger GSO packets before handing them to that
 * interface (a forwarded TCP aggregate at the NAT, or the host's own TCP sends MSS-sized
 * packets), so the segment sees the packets a real link would carry.
 */
final class SegmentLoss {
    static final String TABLE = "p2pnat_loss";
    private static final Pattern COUNTER = Pattern.compile("counter (\\S+) \\{\\s*packets (\\d+) bytes (\\d+)");

    private final Topology topology;
    private final Map<String, String> namespaces;
    private final String switchNamespace;
    private final Map<String, Integer> losses;
    private final Set<String> wireSized;

    /**
     * @param losses    loss by segment in units of 1/{@link LabOptions#LOSS_SCALE}, none zero
     * @param wireSized segments whose hosts send wire-sized packets (every lossy one among them)
     */
    SegmentLoss(Topology topology, Map<String, String> namespaces, String switchNamespace,
            Map<String, Integer> losses, Set<String> wireSized) {
        this.topology = topology;
        this.namespaces = namespaces;
        this.switchNamespace = switchNamespace;
        this.losses = Collections.unmodifiableMap(new LinkedHashMap<>(losses));
        this.wireSized = Set.copyOf(wireSized);
    }

    /** Sets gso_max_segs on the wire-sized segments' host interfaces, then loads the loss table. */
    void start() throws LabException {
        for (Topology.Host host : topology.hosts().values()) {
            StringBuilder batch = new StringBuilder();
            for (Topology.Iface i : host.ifaces()) {
                if (wireSized.contains(i.segment())) {
                    batch.append("link set dev ").append(i.name()).append(" gso_max_segs 1\n");
                }
            }
            if (!batch.isEmpty()) {
                Exec.check(List.of(Exec.tool("ip"), "-n", namespaces.get(host.name()), "-batch", "-"), batch.toString());
            }
        }
        if (!losses.isEmpty()) {
            Exec.check(Exec.inNamespace(switchNamespace, List.of(Exec.tool("nft"), "-f", "-")), rules());
        }
    }

    /** The loss table (a pure function of the topology and the losses). */
    String rules() {
        StringBuilder t = new StringBuilder("table bridge " + TABLE + " {\n");
        for (String segment : losses.keySet()) {
            t.append("  counter ").append(seen(segment)).append(" {}\n");
            t.append("  counter ").append(dropped(segment)).append(" {}\n");
        }
        t.append("  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
        for (Map.Entry<String, Integer> e : losses.entrySet()) {
            List<String> ports = new ArrayList<>();
            for (Topology.Host host : topology.hosts().values()) {
                for (Topology.Iface i : host.ifaces()) {
                    if (i.segment().equals(e.getKey())) {
                        ports.add('"' + LabBuild.switchPort(host, i) + '"');
                    }
                }
            }
            String match = "iifname { " + String.join(", ", ports) + " } ether type ip";
            t.append("    ").append(match).append(" counter name \"").append(seen(e.getKey())).append("\"\n");
            t.append("    ").append(match).append(" numgen random mod ").append(LabOptions.LOSS_SCALE).append(" < ")
                    .append(e.getValue()).append(" counter name \"").append(dropped(e.getKey())).append("\" drop\n");
        }
        return t.append("  }\n}\n").toString();
    }

    /** Whether the segment is lossy. */
    boolean isLossy(String segment) {
        return losses.containsKey(segment);
    }

    /** The segment's loss in percent, 0 if none. */
    double lossPercent(String segment) {
        return losses.getOrDefault(segment, 0) * 100.0 / LabOptions.LOSS_SCALE;
    }

    Map<String, Integer> losses() {
        return losses;
    }

    /** The lossy segment's counters: IPv4 frames its bridge forwarded (before the loss) and dropped. */
    Lab.SegmentTraffic traffic(String segment) throws LabException {
        String out = Exec.check(Exec.inNamespace(switchNamespace,
                List.of(Exec.tool("nft"), "list", "counters", "table", "bridge", TABLE)));
        Map<String, long[]> values = new LinkedHashMap<>();
        Matcher m = COUNTER.matcher(out);
        while (m.find()) {
            values.put(m.group(1), new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
        }
        long[] seen = values.get(seen(segment));
        long[] dropped = values.get(dropped(segment));
        if (seen == null || dropped == null) {
            throw new LabException("no loss counters for segment " + segment + " in: " + out);
        }
        return new Lab.SegmentTraffic(seen[0], seen[1], dropped[0]);
    }

    private static String seen(String segment) {
        return "seen_" + segment;
    }

    private static String dropped(String segment) {
        return "dropped_" + segment;
    }
}
