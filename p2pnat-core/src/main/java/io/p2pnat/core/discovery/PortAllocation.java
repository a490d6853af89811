package io.p2pnat.core.discovery;

/**
 * RFC 4787 §4.2.1 port assignment: how a new mapping's public port is chosen. What
 * {@link NatCheck} judges from every new mapping it sees and what a peer measures and reports in
 * the first byte of NAT-ALLOCATION (0 unknown, 1 preserving, 2 sequential, 3 random).
 */
public enum PortAllocation implements NatTrait {
    /** The public port is the local port. */
    PRESERVING(1),
    /** Successive new mappings step by a constant delta (RFC 5128 §3.5 predicts these). */
    SEQUENTIAL(2),
    /** Neither. */
    RANDOM(3),
    /** Too few new mappings to tell. */
    UNKNOWN(0);

    private final int code;

    PortAllocation(int code) {
        this.code = code;
    }

    /** The first byte of NAT-ALLOCATION, before the port delta and the last port. */
    @Override
    public int code() {
        return code;
    }

    /** The allocation a NAT-ALLOCATION value stands for; {@link #UNKNOWN} for any other value. */
    public static PortAllocation fromCode(int code) {
        return NatTrait.fromCode(values(), code, UNKNOWN);
    }
}
