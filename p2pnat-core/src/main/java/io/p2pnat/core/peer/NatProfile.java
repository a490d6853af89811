package io.p2pnat.core.peer;

import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.discovery.PortAllocation;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * What a peer measured about its own NAT (RFC 4787 §4.1 mapping, §4.2 port allocation) and
 * reported to the server, which passes it to the peers it introduces. RFC 5128 §3.5: predict
 * ports only after detecting the NAT's behaviour.
 *
 * @param mapping    {@link MappingBehaviour#ENDPOINT_INDEPENDENT}, {@link MappingBehaviour#DEPENDENT} or
 *                   {@link MappingBehaviour#UNKNOWN}
 * @param allocation how new mappings' ports are chosen
 * @param delta      the step between successive new mappings (sequential only)
 * @param lastPort   the most recent public port the NAT handed out, as seen by the server
 */
public record NatProfile(MappingBehaviour mapping, PortAllocation allocation, int delta, int lastPort) {
    /** Largest step taken as sequential; bigger jumps look random. */
    public static final int MAX_DELTA = 50;

    public static final NatProfile UNMEASURED = new NatProfile(MappingBehaviour.UNKNOWN, PortAllocation.UNKNOWN, 0, 0);

    public NatProfile {
        Objects.requireNonNull(mapping, "mapping");
        Objects.requireNonNull(allocation, "allocation");
    }

    /**
     * Classifies from two mappings of one local port: toward the server's main port
     * ({@code first}) and then toward its alternate port ({@code second}).
     */
    public static NatProfile measure(int localPort, int first, int second) {
        if (first == second) {
            return new NatProfile(MappingBehaviour.ENDPOINT_INDEPENDENT,
                    first == localPort ? PortAllocation.PRESERVING : PortAllocation.UNKNOWN, 0, second);
        }
        int d = second - first;
        if (d != 0 && Math.abs(d) <= MAX_DELTA) {
            return new NatProfile(MappingBehaviour.DEPENDENT, PortAllocation.SEQUENTIAL, d, second);
        }
        return new NatProfile(MappingBehaviour.DEPENDENT, PortAllocation.RANDOM, 0, second);
    }

    /** A NAT that maps per destination with ports we can predict (RFC 5128 §3.5). */
    public boolean predictable() {
        return mapping.dependent() && allocation == PortAllocation.SEQUENTIAL && delta != 0;
    }

    /** A NAT that maps per destination with random ports: only the birthday paradox helps. */
    public boolean hardRandom() {
        return mapping.dependent() && allocation == PortAllocation.RANDOM;
    }

    /** A NAT whose public endpoint is the same toward everyone. */
    public boolean easy() {
        return mapping == MappingBehaviour.ENDPOINT_INDEPENDENT;
    }

    /** The NAT-ALLOCATION attribute value. */
    public byte[] encodeAllocation() {
        return ByteBuffer.allocate(4).put((byte) allocation.code()).put((byte) delta).putShort((short) lastPort).array();
    }

    /** Reads a NAT-MAPPING value and a NAT-ALLOCATION value (either may be absent). */
    public static NatProfile decode(MappingBehaviour mapping, byte[] allocation) {
        if (allocation == null || allocation.length != 4) {
            return new NatProfile(mapping, PortAllocation.UNKNOWN, 0, 0);
        }
        ByteBuffer b = ByteBuffer.wrap(allocation);
        PortAllocation alloc = PortAllocation.fromCode(b.get() & 0xFF);
        int delta = b.get();
        int last = b.getShort() & 0xFFFF;
        return new NatProfile(mapping, alloc, delta, last);
    }

    /** Short text for logs and JSON, e.g. "dependent/sequential+1". */
    public String label() {
        String m = mapping == MappingBehaviour.ENDPOINT_INDEPENDENT ? "independent"
                : mapping.dependent() ? "dependent" : "unknown";
        String step = allocation == PortAllocation.SEQUENTIAL ? (delta >= 0 ? "+" : "") + delta : "";
        return m + "/" + allocation.wireName() + step;
    }
}
