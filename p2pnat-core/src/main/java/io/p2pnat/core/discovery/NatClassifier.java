package io.p2pnat.core.discovery;

import io.p2pnat.core.discovery.NatCheckResult.HolePunching;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The pure decisions behind {@link NatCheck}: observations in, RFC 4787 classes out. */
public final class NatClassifier {
    /** The largest step taken as sequential allocation; bigger jumps look random (as in NatProfile). */
    public static final int MAX_DELTA = 50;

    private NatClassifier() {
    }

    /**
     * RFC 5780 §4.3: test I (primary), test II (alternate IP, primary port), test III (alternate
     * IP and port); {@code altPort} (primary IP, alternate port) classifies what it can without an
     * alternate IP and cross-checks otherwise. Null arguments are tests that did not run.
     */
    public static MappingBehaviour mapping(InetSocketAddress primary, InetSocketAddress altIp,
                                           InetSocketAddress altBoth, InetSocketAddress altPort, List<String> notes) {
        if (primary == null) {
            return MappingBehaviour.UNKNOWN;
        }
        MappingBehaviour m;
        if (altIp != null) {
            if (primary.equals(altIp)) {
                m = MappingBehaviour.ENDPOINT_INDEPENDENT;
            } else if (altBoth == null) {
                notes.add("no answer from the server's alternate address and port: cannot tell address-dependent"
                        + " from address-and-port-dependent mapping");
                return MappingBehaviour.UNKNOWN;
            } else {
                m = altIp.equals(altBoth) ? MappingBehaviour.ADDRESS_DEPENDENT
                        : MappingBehaviour.ADDRESS_AND_PORT_DEPENDENT;
            }
            if (altPort != null && (m == MappingBehaviour.ADDRESS_AND_PORT_DEPENDENT) == primary.equals(altPort)) {
                notes.add("the mapping toward the server's alternate port (" + altPort + ") contradicts the "
                        + m.wireName() + " mapping seen toward its alternate address");
            }
            return m;
        }
        if (altPort != null) {
            if (!primary.equals(altPort)) {
                return MappingBehaviour.ADDRESS_AND_PORT_DEPENDENT;
            }
            notes.add("the same public endpoint toward both server ports: the mapping is not address-and-port-dependent,"
                    + " but without a second server address endpoint-independent and address-dependent look alike");
        }
        return MappingBehaviour.UNKNOWN;
    }

    /**
     * RFC 5780 §4.4: did the answer from the alternate IP and port (test II) and the one from the
     * alternate port (test III) get through? Null: the test did not run.
     */
    public static FilteringBehaviour filtering(Boolean changedBothPassed, Boolean changedPortPassed,
                                               List<String> notes) {
        if (Boolean.TRUE.equals(changedBothPassed)) {
            return FilteringBehaviour.ENDPOINT_INDEPENDENT;
        }
        if (Boolean.FALSE.equals(changedPortPassed)) {
            return FilteringBehaviour.ADDRESS_AND_PORT_DEPENDENT;
        }
        if (Boolean.TRUE.equals(changedPortPassed)) {
            if (Boolean.FALSE.equals(changedBothPassed)) {
                return FilteringBehaviour.ADDRESS_DEPENDENT;
            }
            notes.add("answers from the server's other port get in, so filtering is not address-and-port-dependent;"
                    + " without a second server address endpoint-independent and address-dependent look alike");
        }
        return FilteringBehaviour.UNKNOWN;
    }

    /** One local socket: its port and the public port of its first mapping (null if none seen). */
    public record FirstMapping(int localPort, Integer publicPort) {}

    /**
     * RFC 4787 §4.2.1: preserving when every socket's first mapping kept its local port; otherwise
     * sequential when the new mappings' ports (in the order they were made) step by a constant delta
     * of at most {@link #MAX_DELTA} (one outlier allowed from four new mappings on: other hosts'
     * mappings can slip in between); random when at least three new mappings show neither.
     *
     * @return the allocation and, for sequential, the delta (else 0)
     */
    public static Map.Entry<PortAllocation, Integer> allocation(List<FirstMapping> firsts, List<Integer> newPorts) {
        List<FirstMapping> seen = firsts.stream().filter(f -> f.publicPort() != null).toList();
        if (!seen.isEmpty() && seen.stream().allMatch(f -> f.publicPort() == f.localPort())) {
            return Map.entry(PortAllocation.PRESERVING, 0);
        }
        if (newPorts.size() < 3) {
            return Map.entry(PortAllocation.UNKNOWN, 0);
        }
        Map<Integer, Integer> counts = new HashMap<>();
        int best = 0;
        int bestCount = 0;
        for (int i = 1; i < newPorts.size(); i++) {
            int step = newPorts.get(i) - newPorts.get(i - 1);
            int c = counts.merge(step, 1, Integer::sum);
            if (c > bestCount) {
                best = step;
                bestCount = c;
            }
        }
        int steps = newPorts.size() - 1;
        if (best != 0 && Math.abs(best) <= MAX_DELTA && bestCount >= Math.max(2, steps - 1)) {
            return Map.entry(PortAllocation.SEQUENTIAL, best);
        }
        return Map.entry(PortAllocation.RANDOM, 0);
    }

    /**
     * RFC 5128 §3.3/§3.5: hole punching needs the endpoint the server saw to be the one the peer
     * will see (endpoint-independent mapping); a per-destination port can only be predicted when
     * allocation is sequential.
     */
    public static HolePunching verdict(boolean natDetected, MappingBehaviour mapping, FilteringBehaviour filtering,
                                       PortAllocation allocation) {
        if (!natDetected && filtering == FilteringBehaviour.ENDPOINT_INDEPENDENT) {
            return HolePunching.NOT_NEEDED;
        }
        return switch (mapping) {
            case ENDPOINT_INDEPENDENT -> HolePunching.WORKS;
            case ADDRESS_DEPENDENT, ADDRESS_AND_PORT_DEPENDENT, DEPENDENT ->
                    allocation == PortAllocation.SEQUENTIAL ? HolePunching.PORT_PREDICTION
                            : allocation == PortAllocation.UNKNOWN ? HolePunching.UNKNOWN : HolePunching.UNLIKELY;
            case UNKNOWN -> HolePunching.UNKNOWN;
        };
    }
}
