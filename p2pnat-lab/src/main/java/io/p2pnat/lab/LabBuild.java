package io.p2pnat.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link Topology} into namespaces, bridges, veth pairs, addresses, routes, sysctls and
 * nftables rules. A handful of commands: one {@code ip -batch} per namespace, one {@code sysctl}
 * and at most one {@code nft -f -} per namespace.
 */
final class LabBuild {
    private final Topology topology;
    private final Map<String, String> namespaces;
    private final String switchNamespace;
    private final String failAfterStep;

    LabBuild(Topology topology, Map<String, String> namespaces, String switchNamespace, String failAfterStep) {
        this.topology = topology;
        this.namespaces = namespaces;
        this.switchNamespace = switchNamespace;
        this.failAfterStep = failAfterStep;
    }

    void run() throws LabException {
        namespacesAndLinks();
        step("links");
        sysctls();
        step("sysctl");
        addresses();
        step("addresses");
        nftables();
        step("nftables");
    }

    private void namespacesAndLinks() throws LabException {
        StringBuilder root = new StringBuilder("netns add " + switchNamespace + "\n");
        namespaces.values().forEach(ns -> root.append("netns add ").append(ns).append('\n'));
        for (Topology.Host host : topology.hosts().values()) {
            for (Topology.Iface i : host.ifaces()) {
                root.append("link add name ").append(i.name()).append(" netns ").append(namespaces.get(host.name()))
                        .append(" type veth peer name ").append(switchPort(host, i)).append(" netns ")
                        .append(switchNamespace).append('\n');
            }
        }
        Exec.check(List.of(Exec.tool("ip"), "-batch", "-"), root.toString());
        step("namespaces");

        StringBuilder sw = new StringBuilder("link set lo up\n");
        for (String segment : topology.segments()) {
            sw.append("link add ").append(bridge(segment)).append(" type bridge\n");
            sw.append("link set ").append(bridge(segment)).append(" up\n");
        }
        for (Topology.Host host : topology.hosts().values()) {
            for (Topology.Iface i : host.ifaces()) {
                sw.append("link set ").append(switchPort(host, i)).append(" master ").append(bridge(i.segment()))
                        .append(" up\n");
            }
        }
        Exec.check(List.of(Exec.tool("ip"), "-n", switchNamespace, "-batch", "-"), sw.toString());
    }

    private void sysctls() throws LabException {
        sysctl(switchNamespace, List.of("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
                "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0",
                "net.bridge.bridge-nf-call-arptables=0"), true);
        for (Topology.Host host : topology.hosts().values()) {
            List<String> settings = new ArrayList<>();
            if (Files.isDirectory(Path.of("/proc/sys/net/ipv6"))) {
                // quiet links: no router solicitations, MLD or DAD traffic
                settings.addAll(List.of("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"));
            }
            if (host.isNat()) {
                settings.add("net.ipv4.ip_forward=1");
                for (String scope : List.of("all", "default", Topology.WAN, Topology.LAN)) {
                    // a hairpinned packet leaves by the interface it came in on: no ICMP redirects
                    settings.add("net.ipv4.conf." + scope + ".send_redirects=0");
                    settings.add("net.ipv4.conf." + scope + ".rp_filter=0");
                }
            }
            if (!settings.isEmpty()) {
                sysctl(namespaces.get(host.name()), settings, false);
            }
        }
    }

    /** @param ignoreUnknown tolerate missing keys (the bridge-nf keys exist only with br_netfilter) */
    private static void sysctl(String namespace, List<String> settings, boolean ignoreUnknown) throws LabException {
        List<String> command = new ArrayList<>(List.of(Exec.tool("sysctl"), "-q", "-w"));
        if (ignoreUnknown) {
            command.add(1, "-e");
        }
        command.addAll(settings);
        Exec.check(Exec.inNamespace(namespace, command));
    }

    private void addresses() throws LabException {
        for (Topology.Host host : topology.hosts().values()) {
            StringBuilder batch = new StringBuilder("link set lo up\n");
            for (Topology.Iface i : host.ifaces()) {
                batch.append("addr add ").append(i.cidr()).append(" dev ").append(i.name()).append('\n');
                for (String extra : i.secondary()) {
                    batch.append("addr add ").append(extra).append('/').append(i.prefixLength())
                            .append(" dev ").append(i.name()).append('\n');
                }
                batch.append("link set ").append(i.name()).append(" up\n");
            }
            for (String destination : host.onLink()) {
                batch.append("route add ").append(destination).append(" dev ").append(host.ifaces().get(0).name())
                        .append('\n');
            }
            if (host.gateway() != null) {
                batch.append("route add default via ").append(host.gateway()).append('\n');
            }
            Exec.check(List.of(Exec.tool("ip"), "-n", namespaces.get(host.name()), "-batch", "-"), batch.toString());
        }
    }

    private void nftables() throws LabException {
        for (Topology.Host host : topology.hosts().values()) {
            String rules;
            if (host.isNat()) {
                rules = NftRules.nat(host.nat().behaviour(), host.mainAddress());
            } else if (host.isPublicEndHost()) {
                rules = NftRules.host(Topology.ETH);
            } else {
                continue;
            }
            Exec.check(Exec.inNamespace(namespaces.get(host.name()), List.of(Exec.tool("nft"), "-f", "-")), rules);
        }
    }

    private void step(String name) throws LabException {
        if (name.equals(failAfterStep)) {
            throw new LabException("injected failure after build step '" + name + "'");
        }
    }

    /** The Linux bridge of a segment in the switch namespace, e.g. {@code br-inet}. */
    static String bridge(String segment) {
        return "br-" + segment;
    }

    /** The bridge-side end of a host's veth, e.g. {@code clientA-eth0} (at most 15 characters). */
    static String switchPort(Topology.Host host, Topology.Iface iface) {
        return host.name() + "-" + iface.name();
    }
}
