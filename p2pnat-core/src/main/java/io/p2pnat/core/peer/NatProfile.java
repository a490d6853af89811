package io.p2pnat.core.peer;

import io.p2pnat.core.Signaling;
import java.nio.ByteBuffer;

/**
 * What a peer measured about its own NAT (RFC 4787 §4.1 mapping, §4.2 port allocation) and
 * reported to the server, which passes it to the peers it introduces. RFC 5128 §3.5: predict
 * ports only after detecting the NAT's behaviour.
 *
 * @param mapping    {@code Signaling.NAT_UNKNOWN / NAT_INDEPENDENT / NAT_DEPENDENT}
 * @param allocation {@link #UNKNOWN}, {@link #PRESERVING}, {@link #SEQUENTIAL} or {@link #RANDOM}
 * @param delta      the step between successive new mappings (sequential only)
 * @param lastPort   the most recent public port the NAT handed out, as seen by the server
 */
public record NatProfile(int mapping, int allocation, int delta, int lastPort) {
    public static final int UNKNOWN = 0;
    public static final int PRESERVING = 1;
    public static final int SEQUENTIAL = 2;
    public static final int RANDOM = 3;
    /** Largest step taken as sequential; bigger jumps look random. */
    public static final int MAX_DELTA = 50;

    public static final NatProfile UNMEASURED = new NatProfile(Signaling.NAT_UNKNOWN, UNKNOWN, 0, 0);

    /**
     * Classifies from two mappings of one local port: toward the server's main port
     * ({@code first}) and then toward its alternate port ({@code second}).
     */
    public static NatProfile measure(int localPort, int first, int second) {
        if (first == second) {
            return new NatProfile(Signaling.NAT_INDEPENDENT, first == localPort ? PRESERVING : UNKNOWN, 0, second);
        }
        int d = second - first;
        if (d != 0 && Math.abs(d) <= MAX_DELTA) {
            return new NatProfile(Signaling.NAT_DEPENDENT, SEQUENTIAL, d, second);
        }
        return new NatProfile(Signaling.NAT_DEPENDENT, RANDOM, 0, second);
    }

    /** A NAT that maps per destination with ports we can predict (RFC 5128 §3.5). */
    public boolean predictable() {
        return mapping == Signaling.NAT_DEPENDENT && allocation == SEQUENTIAL && delta != 0;
    }

    /** A NAT that maps per destination with random ports: only the birthday paradox helps. */
    public boolean hardRandom() {
        return mapping == Signaling.NAT_DEPENDENT && allocation == RANDOM;
    }

    /** A NAT whose public endpoint is the same toward everyone. */
    public boolean easy() {
        return mapping == Signaling.NAT_INDEPENDENT;
    }

    /** The NAT-ALLOCATION attribute value. */
    public byte[] encodeAllocation() {
        return ByteBuffer.allocate(4).put((byte) allocation).put((byte) delta).putShort((short) lastPort).array();
    }

    /** Reads a NAT-MAPPING value and a NAT-ALLOCATION value (either may be absent). */
    public static NatProfile decode(int mapping, byte[] allocation) {
        if (allocation == null || allocation.length != 4) {
            return new NatProfile(mapping, UNKNOWN, 0, 0);
        }
        ByteBuffer b = ByteBuffer.wrap(allocation);
        int alloc = b.get() & 0xFF;
        int delta = b.get();
        int last = b.getShort() & 0xFFFF;
        if (alloc > RANDOM) {
            alloc = UNKNOWN;
        }
        return new NatProfile(mapping, alloc, delta, last);
    }

    /** Short text for logs and JSON, e.g. "dependent/sequential+1". */
    public String label() {
        String m = switch (mapping) {
            case Signaling.NAT_INDEPENDENT -> "independent";
            case Signaling.NAT_DEPENDENT -> "dependent";
            default -> "unknown";
        };
        String a = switch (allocation) {
            case PRESERVING -> "preserving";
            case SEQUENTIAL -> "sequential" + (delta >= 0 ? "+" : "") + delta;
            case RANDOM -> "random";
            default -> "unknown";
        };
        return m + "/" + a;
    }
}
