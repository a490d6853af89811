package io.p2pnat.lab;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The hosts, segments and addresses of one scenario: a pure description with no side effects.
 * Every segment becomes a Linux bridge in the lab's switch namespace, every interface a veth pair
 * with one end in the host's namespace and the other on that bridge.
 */
final class Topology {
    /** Name of a NAT's public (outside) interface; its counters count here. */
    static final String WAN = "wan0";
    /** Name of a NAT's inside interface. */
    static final String LAN = "lan0";
    /** Name of an end host's only interface. */
    static final String ETH = "eth0";
    /** The segment every scenario calls the Internet: S, the outermost NATs, figure 2's public B. */
    static final String INTERNET = LabOptions.INTERNET;
    /** The server's address, S in RFC 5128's figures. */
    static final String SERVER_ADDRESS = "192.0.2.128";
    /** The server's second address, for "another remote IP" observations (RFC 5780 style). */
    static final String SERVER_SECOND_ADDRESS = "192.0.2.129";

    /** An interface; {@code secondary} are further addresses in the same prefix (the server has one). */
    record Iface(String name, String segment, String address, int prefixLength, List<String> secondary) {
        Iface {
            secondary = List.copyOf(secondary);
        }

        Iface(String name, String segment, String address, int prefixLength) {
            this(name, segment, address, prefixLength, List.of());
        }

        String cidr() {
            return address + "/" + prefixLength;
        }
    }

    record Nat(LabNat behaviour) {}

    /**
     * A host; {@code onLink} are destinations (address or prefix in CIDR) routed straight out of
     * its only interface without a gateway (the {@link LabOptions#withImpostor impostor} case).
     */
    record Host(String name, List<Iface> ifaces, String gateway, Nat nat, List<String> onLink) {
        Host {
            ifaces = List.copyOf(ifaces);
            onLink = List.copyOf(onLink);
        }

        Host(String name, List<Iface> ifaces, String gateway, Nat nat) {
            this(name, ifaces, gateway, nat, List.of());
        }

        boolean isNat() {
            return nat != null;
        }

        Iface iface(String ifName) {
            return ifaces.stream().filter(i -> i.name().equals(ifName)).findFirst().orElseThrow();
        }

        /** A NAT's public address; an end host's first address. */
        String mainAddress() {
            return isNat() ? iface(WAN).address() : ifaces.get(0).address();
        }

        /** The main address first, then every other address of every interface. */
        List<String> addresses() {
            List<String> all = new ArrayList<>(List.of(mainAddress()));
            for (Iface i : ifaces) {
                if (!all.contains(i.address())) {
                    all.add(i.address());
                }
                i.secondary().stream().filter(a -> !all.contains(a)).forEach(all::add);
            }
            return List.copyOf(all);
        }

        /** An end host directly on a public segment: no NAT in front of it, so it gets counters. */
        boolean isPublicEndHost() {
            return !isNat() && gateway == null;
        }
    }

    private final Scenario scenario;
    private final Map<String, Host> hosts;

    private Topology(Scenario scenario, List<Host> hosts) {
        this.scenario = scenario;
        Map<String, Host> byName = new LinkedHashMap<>();
        hosts.forEach(h -> byName.put(h.name(), h));
        this.hosts = Collections.unmodifiableMap(byName);
    }

    /** The scenario's topology with NAT behaviours from {@code options} applied. */
    static Topology of(Scenario scenario, LabOptions options) throws LabException {
        List<Host> hosts = new ArrayList<>();
        hosts.add(new Host("server",
                List.of(new Iface(ETH, INTERNET, SERVER_ADDRESS, 24, List.of(SERVER_SECOND_ADDRESS))), null, null));
        LabNat home = LabNat.homeRouter(false);
        LabNat hairpinning = LabNat.homeRouter(true);
        switch (scenario) {
            case FIGURE_3 -> {
                hosts.add(nat("natA", home, options, null, INTERNET, "192.0.2.1", 24, "lanA", "10.0.0.254", 24));
                hosts.add(nat("natB", home, options, null, INTERNET, "192.0.2.254", 24, "lanB", "10.1.1.254", 24));
                hosts.add(endHost("clientA", "lanA", "10.0.0.1", 24, "10.0.0.254"));
                hosts.add(endHost("clientB", "lanB", "10.1.1.3", 24, "10.1.1.254"));
            }
            case FIGURE_4 -> {
                hosts.add(nat("natA", hairpinning, options, null, INTERNET, "192.0.2.1", 24, "lan", "10.0.0.254", 8));
                hosts.add(endHost("clientA", "lan", "10.0.0.1", 8, "10.0.0.254"));
                hosts.add(endHost("clientB", "lan", "10.1.1.3", 8, "10.0.0.254"));
            }
            case FIGURE_5 -> {
                hosts.add(nat("natX", hairpinning, options, null, INTERNET, "192.0.2.1", 24, "isp", "192.168.1.254", 24));
                hosts.add(nat("natA", home, options, "192.168.1.254", "isp", "192.168.1.1", 24, "lanA", "10.0.0.254", 24));
                hosts.add(nat("natB", home, options, "192.168.1.254", "isp", "192.168.1.2", 24, "lanB", "10.1.1.254", 24));
                hosts.add(endHost("clientA", "lanA", "10.0.0.1", 24, "10.0.0.254"));
                hosts.add(endHost("clientB", "lanB", "10.1.1.3", 24, "10.1.1.254"));
            }
            case FIGURE_1 -> {
                LabNat symmetric = LabNat.symmetricRandom();
                hosts.add(nat("natA", symmetric, options, null, INTERNET, "192.0.2.1", 24, "lanA", "10.0.0.254", 24));
                hosts.add(nat("natB", symmetric, options, null, INTERNET, "192.0.2.254", 24, "lanB", "10.1.1.254", 24));
                hosts.add(endHost("clientA", "lanA", "10.0.0.1", 24, "10.0.0.254"));
                hosts.add(endHost("clientB", "lanB", "10.1.1.3", 24, "10.1.1.254"));
            }
            case FIGURE_2 -> {
                hosts.add(nat("natA", home, options, null, INTERNET, "192.0.2.1", 24, "lanA", "10.0.0.254", 24));
                hosts.add(endHost("clientA", "lanA", "10.0.0.1", 24, "10.0.0.254"));
                hosts.add(endHost("clientB", INTERNET, "192.0.2.77", 24, null));
            }
            default -> throw new IllegalArgumentException(String.valueOf(scenario));
        }
        if (options.impostor() != null) {
            addImpostor(scenario, hosts, options.impostor());
        }
        Topology topology = new Topology(scenario, hosts);
        for (String nat : options.changedNats()) {
            Host host = topology.hosts.get(nat);
            if (host == null || !host.isNat()) {
                throw new LabException("LabOptions change NAT '" + nat + "', but " + scenario
                        + " has only the NATs " + topology.nats());
            }
        }
        for (String segment : options.segmentDelays().keySet()) {
            if (!topology.segments().contains(segment)) {
                throw new LabException("LabOptions delay segment '" + segment + "', but " + scenario
                        + " has only the segments " + topology.segments());
            }
        }
        for (String segment : options.segmentLosses().keySet()) {
            if (!topology.segments().contains(segment)) {
                throw new LabException("LabOptions make segment '" + segment + "' lossy, but " + scenario
                        + " has only the segments " + topology.segments());
            }
        }
        for (String segment : options.wireSizedSegments()) {
            if (!topology.segments().contains(segment)) {
                throw new LabException("LabOptions ask for wire-sized packets on segment '" + segment + "', but "
                        + scenario + " has only the segments " + topology.segments());
            }
        }
        return topology;
    }

    /**
     * The client gets an on-link host route to the impostor's address; the impostor, on the
     * client's segment, gets one back to the client (and no gateway).
     */
    private static void addImpostor(Scenario scenario, List<Host> hosts, LabOptions.Impostor impostor)
            throws LabException {
        int at = -1;
        for (int i = 0; i < hosts.size(); i++) {
            if (hosts.get(i).name().equals(impostor.client())) {
                at = i;
            }
        }
        Host client = at < 0 ? null : hosts.get(at);
        if (client == null || client.isNat() || client.gateway() == null) {
            throw new LabException("LabOptions put an impostor beside '" + impostor.client() + "', but that is not a"
                    + " client behind a NAT in " + scenario);
        }
        Iface lan = client.ifaces().get(0);
        if (hosts.stream().anyMatch(h -> h.ifaces().stream().anyMatch(i -> i.segment().equals(lan.segment())
                && i.address().equals(impostor.address())))) {
            throw new LabException("the impostor's address " + impostor.address() + " is already taken on "
                    + lan.segment());
        }
        List<String> routes = new ArrayList<>(client.onLink());
        routes.add(impostor.address() + "/32");
        hosts.set(at, new Host(client.name(), client.ifaces(), client.gateway(), null, routes));
        hosts.add(new Host(LabOptions.IMPOSTOR, List.of(new Iface(ETH, lan.segment(), impostor.address(), 32)),
                null, null, List.of(lan.address() + "/32")));
    }

    private static Host endHost(String name, String segment, String address, int prefix, String gateway) {
        return new Host(name, List.of(new Iface(ETH, segment, address, prefix)), gateway, null);
    }

    private static Host nat(String name, LabNat scenarioDefault, LabOptions options, String gateway,
            String wanSegment, String wanAddress, int wanPrefix,
            String lanSegment, String lanAddress, int lanPrefix) {
        LabNat behaviour = options.apply(name, scenarioDefault);
        return new Host(name,
                List.of(new Iface(WAN, wanSegment, wanAddress, wanPrefix), new Iface(LAN, lanSegment, lanAddress, lanPrefix)),
                gateway, new Nat(behaviour));
    }

    Scenario scenario() {
        return scenario;
    }

    Map<String, Host> hosts() {
        return hosts;
    }

    Host host(String name) {
        Host host = hosts.get(name);
        if (host == null) {
            throw new IllegalArgumentException("no host '" + name + "' in " + scenario + "; hosts: " + hosts.keySet());
        }
        return host;
    }

    List<String> nats() {
        return hosts.values().stream().filter(Host::isNat).map(Host::name).toList();
    }

    Set<String> segments() {
        Set<String> segments = new LinkedHashSet<>();
        hosts.values().forEach(h -> h.ifaces().forEach(i -> segments.add(i.segment())));
        return segments;
    }

    /**
     * The address the Internet sees for a host: follow default gateways outwards through every
     * NAT and take the outermost NAT's public address.
     */
    String publicAddress(String hostName) {
        Host host = host(hostName);
        String seen = host.mainAddress();
        while (host.gateway() != null) {
            host = ownerOf(host.gateway());
            if (host.isNat()) {
                seen = host.mainAddress();
            }
        }
        return seen;
    }

    private Host ownerOf(String address) {
        return hosts.values().stream()
                .filter(h -> h.ifaces().stream().anyMatch(i -> i.address().equals(address)))
                .findFirst().orElseThrow(() -> new IllegalStateException("no host owns " + address));
    }
}
