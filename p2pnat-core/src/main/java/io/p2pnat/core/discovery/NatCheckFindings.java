package io.p2pnat.core.discovery;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.discovery.NatCheckResult.TcpUnsolicited;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link NatCheck}'s tests saw so far, and the {@link NatCheckResult} it adds up to: mapped
 * endpoints for the mapping class (RFC 5780 §4.3), answers to the filtering tests (§4.4), the
 * hairpin loop (§4.5) and the ports of new mappings for port allocation (RFC 4787 §4.2). Kept
 * apart from the tests' timing so a result is built from observations alone.
 */
final class NatCheckFindings {
    private final Map<NatTest, InetSocketAddress> mapped = new EnumMap<>(NatTest.class);
    /** Filtering tests: answered from where asked (true), or silent (false). */
    final Map<NatTest, Boolean> passed = new EnumMap<>(NatTest.class);
    private final List<Integer> newPorts = new ArrayList<>();
    private final Map<Integer, Integer> firstPublicPort = new HashMap<>();
    final List<String> skipped = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    Boolean hairpin;
    TcpUnsolicited tcpResult;
    InetSocketAddress tcpPublic;
    /** Why nothing can be measured (test I failed), or null. */
    String error;

    /** The mapped endpoint {@code test} saw from {@code socket}; a port not seen before is a new mapping. */
    void recordMapping(NatTest test, int socket, InetSocketAddress m) {
        mapped.put(test, m);
        firstPublicPort.putIfAbsent(socket, m.getPort());
        boolean fresh = mapped.entrySet().stream()
                .noneMatch(e -> e.getKey() != test && e.getValue().equals(m));
        if (fresh) {
            newPorts.add(m.getPort());
        }
    }

    InetSocketAddress mapped(NatTest test) {
        return mapped.get(test);
    }

    /** Test I's mapped endpoint differs from the main socket's {@code local} one. */
    boolean natDetected(InetSocketAddress local) {
        InetSocketAddress pub = mapped.get(NatTest.TEST_I);
        return pub != null && !pub.equals(local);
    }

    NatCheckResult build(InetSocketAddress server, InetSocketAddress other, List<InetSocketAddress> locals,
                         long durationNanos) {
        InetSocketAddress local = locals.get(NatCheck.MAIN);
        InetSocketAddress pub = mapped.get(NatTest.TEST_I);
        if (error != null) {
            return new NatCheckResult(server, other, local, pub, false, MappingBehaviour.UNKNOWN,
                    FilteringBehaviour.UNKNOWN, null, PortAllocation.UNKNOWN, null, List.of(), null, null,
                    NatCheckResult.HolePunching.UNKNOWN, List.of("all"), notes, durationNanos, error);
        }
        boolean nat = natDetected(local);
        MappingBehaviour mapping = NatClassifier.mapping(pub, mapped.get(NatTest.MAP_ALT_IP),
                mapped.get(NatTest.MAP_ALT_BOTH), mapped.get(NatTest.MAP_ALT_PORT), notes);
        FilteringBehaviour filtering = NatClassifier.filtering(passed.get(NatTest.FILTER_BOTH),
                passed.get(NatTest.FILTER_PORT), notes);
        List<NatClassifier.FirstMapping> firsts = new ArrayList<>();
        for (int i = 0; i < NatCheck.SOCKETS; i++) {
            firsts.add(new NatClassifier.FirstMapping(locals.get(i).getPort(), firstPublicPort.get(i)));
        }
        Map.Entry<PortAllocation, Integer> alloc = NatClassifier.allocation(firsts, newPorts);
        if (!nat) {
            notes.add("no NAT: the server sees the local endpoint " + Endpoints.format(local));
        }
        return new NatCheckResult(server, other, local, pub, nat, mapping, filtering, nat ? hairpin : null,
                alloc.getKey(), alloc.getKey() == PortAllocation.SEQUENTIAL ? alloc.getValue() : null, newPorts,
                tcpResult, tcpPublic, NatClassifier.verdict(nat, mapping, filtering, alloc.getKey()),
                skipped.stream().distinct().toList(), notes, durationNanos, null);
    }
}
