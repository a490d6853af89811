package io.p2pnat.core.discovery;

/**
 * RFC 4787 §5 filtering behaviour: which outside endpoints may send in through a mapping. What
 * {@link NatCheck} finds (RFC 5780 §4.4) and what a peer measures and reports in NAT-FILTERING
 * (one byte: 0 unknown, 1 endpoint-independent, 2 address-, 3 address-and-port-dependent).
 */
public enum FilteringBehaviour implements NatTrait {
    /** RFC 4787 "Endpoint-Independent Filtering": anyone may send in. */
    ENDPOINT_INDEPENDENT(1),
    /**
     * RFC 4787 "Address-Dependent Filtering": only addresses the inside endpoint sent to. A peer
     * reports it also for looser filtering when the server has no second address to tell them apart.
     */
    ADDRESS_DEPENDENT(2),
    /** RFC 4787 "Address and Port-Dependent Filtering": only endpoints the inside endpoint sent to. */
    ADDRESS_AND_PORT_DEPENDENT(3),
    /** Not measured, or no clear answer. */
    UNKNOWN(0);

    private final int code;

    FilteringBehaviour(int code) {
        this.code = code;
    }

    /** The NAT-FILTERING byte. */
    @Override
    public int code() {
        return code;
    }

    /** The behaviour a NAT-FILTERING value stands for; {@link #UNKNOWN} for any other value. */
    public static FilteringBehaviour fromCode(int code) {
        return NatTrait.fromCode(values(), code, UNKNOWN);
    }
}
