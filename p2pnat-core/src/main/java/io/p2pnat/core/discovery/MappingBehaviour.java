package io.p2pnat.core.discovery;

/**
 * RFC 4787 §4.1 mapping behaviour: which flows of one inside endpoint share a public endpoint.
 * What {@link NatCheck} finds (RFC 5780 §4.3) and what a peer measures and reports in NAT-MAPPING.
 *
 * <p>A peer's own test (the server's two ports) tells endpoint-independent mapping from a
 * per-destination one, but not address- from address-and-port-dependent: it says
 * {@link #DEPENDENT}. NAT-MAPPING carries one byte: 0 unknown, 1 endpoint-independent,
 * 2 dependent (either kind).
 */
public enum MappingBehaviour implements NatTrait {
    /** RFC 4787 "Endpoint-Independent Mapping": one public endpoint toward every destination. */
    ENDPOINT_INDEPENDENT(1),
    /** RFC 4787 "Address-Dependent Mapping": one public endpoint per destination address. */
    ADDRESS_DEPENDENT(2),
    /** RFC 4787 "Address and Port-Dependent Mapping": one public endpoint per destination endpoint. */
    ADDRESS_AND_PORT_DEPENDENT(2),
    /** Address- or address-and-port-dependent: a new public endpoint per destination, kind not told. */
    DEPENDENT(2),
    /** Not measured, or no clear answer. */
    UNKNOWN(0);

    private final int code;

    MappingBehaviour(int code) {
        this.code = code;
    }

    /** The NAT-MAPPING byte: 2 for each kind of per-destination mapping. */
    @Override
    public int code() {
        return code;
    }

    /** The behaviour a NAT-MAPPING value stands for: 2 is {@link #DEPENDENT}; unknown values {@link #UNKNOWN}. */
    public static MappingBehaviour fromCode(int code) {
        return code == DEPENDENT.code ? DEPENDENT : NatTrait.fromCode(values(), code, UNKNOWN);
    }

    /** A new public endpoint per destination (address, or address and port). */
    public boolean dependent() {
        return code == DEPENDENT.code;
    }
}
