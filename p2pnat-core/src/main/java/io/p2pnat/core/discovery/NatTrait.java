package io.p2pnat.core.discovery;

import java.util.Locale;

/**
 * A value of RFC 4787's NAT vocabulary ({@link MappingBehaviour}, {@link FilteringBehaviour},
 * {@link PortAllocation}): the byte p2pnat's signaling carries for it and the name JSON prints.
 */
public interface NatTrait {
    /** The one-byte value in NAT-MAPPING, NAT-FILTERING or NAT-ALLOCATION (0: unknown). */
    int code();

    /**
     * The JSON value: the constant's name in lower case with hyphens, e.g.
     * {@code "endpoint-independent"}, {@code "address-and-port-dependent"}, {@code "sequential"}.
     */
    default String wireName() {
        return ((Enum<?>) this).name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The first of {@code values} whose {@link #code()} is {@code code}, else {@code otherwise}. */
    static <T extends NatTrait> T fromCode(T[] values, int code, T otherwise) {
        for (T t : values) {
            if (t.code() == code) {
                return t;
            }
        }
        return otherwise;
    }
}
