package io.p2pnat.core.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The NAT vocabulary's two contracts: the JSON values {@code natcheck} and the peer print, and the
 * bytes NAT-MAPPING, NAT-FILTERING and NAT-ALLOCATION carry. Neither may change.
 */
class NatTraitTest {
    @Test
    void jsonValues() {
        assertEquals(List.of("endpoint-independent", "address-dependent", "address-and-port-dependent", "dependent",
                "unknown"), names(MappingBehaviour.values()));
        assertEquals(List.of("endpoint-independent", "address-dependent", "address-and-port-dependent", "unknown"),
                names(FilteringBehaviour.values()));
        assertEquals(List.of("preserving", "sequential", "random", "unknown"), names(PortAllocation.values()));
    }

    @Test
    void wireCodes() {
        assertEquals(List.of(1, 2, 2, 2, 0), codes(MappingBehaviour.values()));
        assertEquals(List.of(1, 2, 3, 0), codes(FilteringBehaviour.values()));
        assertEquals(List.of(1, 2, 3, 0), codes(PortAllocation.values()));
        assertEquals(List.of(MappingBehaviour.UNKNOWN, MappingBehaviour.ENDPOINT_INDEPENDENT, MappingBehaviour.DEPENDENT,
                MappingBehaviour.UNKNOWN, MappingBehaviour.UNKNOWN), List.of(MappingBehaviour.fromCode(0),
                MappingBehaviour.fromCode(1), MappingBehaviour.fromCode(2), MappingBehaviour.fromCode(3),
                MappingBehaviour.fromCode(255)));
        for (FilteringBehaviour f : FilteringBehaviour.values()) {
            assertEquals(f, FilteringBehaviour.fromCode(f.code()));
        }
        for (PortAllocation a : PortAllocation.values()) {
            assertEquals(a, PortAllocation.fromCode(a.code()));
        }
        assertEquals(FilteringBehaviour.UNKNOWN, FilteringBehaviour.fromCode(4), "out of range: unknown");
        assertEquals(PortAllocation.UNKNOWN, PortAllocation.fromCode(200));
    }

    @Test
    void everyPerDestinationMappingIsDependent() {
        assertTrue(MappingBehaviour.DEPENDENT.dependent());
        assertTrue(MappingBehaviour.ADDRESS_DEPENDENT.dependent());
        assertTrue(MappingBehaviour.ADDRESS_AND_PORT_DEPENDENT.dependent());
        assertFalse(MappingBehaviour.ENDPOINT_INDEPENDENT.dependent());
        assertFalse(MappingBehaviour.UNKNOWN.dependent());
    }

    private static List<Integer> codes(NatTrait[] values) {
        return Arrays.stream(values).map(NatTrait::code).toList();
    }

    private static List<String> names(NatTrait[] values) {
        return Arrays.stream(values).map(NatTrait::wireName).toList();
    }
}
