package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.NatBehaviour.Filtering;
import io.p2pnat.lab.NatBehaviour.Mapping;
import io.p2pnat.lab.NatBehaviour.PortAllocation;
import io.p2pnat.lab.NatBehaviour.UnsolicitedTcp;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which behaviour combinations exist, and the factories; pure, runs everywhere. */
class NatBehaviourTest {

    @Test
    void exactlySevenMappingAllocationPairsAreSupported() {
        List<String> supported = new ArrayList<>();
        for (Mapping m : Mapping.values()) {
            for (PortAllocation p : PortAllocation.values()) {
                try {
                    NatBehaviour.of(m, p, Filtering.ADDRESS_AND_PORT_DEPENDENT);
                    supported.add(m + "/" + p);
                } catch (IllegalArgumentException e) {
                    assertTrue(e.getMessage().contains(m.name()) || e.getMessage().contains(p.name()), e.getMessage());
                }
            }
        }
        assertEquals(List.of("ENDPOINT_INDEPENDENT/PRESERVING",
                "ENDPOINT_INDEPENDENT_NON_PRESERVING/SEQUENTIAL", "ENDPOINT_INDEPENDENT_NON_PRESERVING/RANDOM",
                "ADDRESS_DEPENDENT/SEQUENTIAL", "ADDRESS_DEPENDENT/RANDOM",
                "ADDRESS_AND_PORT_DEPENDENT/SEQUENTIAL", "ADDRESS_AND_PORT_DEPENDENT/RANDOM"), supported);
    }

    @Test
    void unsupportedCombinationsSayWhatToUseInstead() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NatBehaviour.of(Mapping.ENDPOINT_INDEPENDENT, PortAllocation.RANDOM, Filtering.ENDPOINT_INDEPENDENT));
        assertTrue(e.getMessage().contains("ENDPOINT_INDEPENDENT_NON_PRESERVING"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NatBehaviour.of(Mapping.ADDRESS_AND_PORT_DEPENDENT, PortAllocation.PRESERVING, Filtering.ENDPOINT_INDEPENDENT));
        assertTrue(e.getMessage().contains("nftables"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NatBehaviour.symmetricSequential(0));
        assertTrue(e.getMessage().contains("portDelta 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NatBehaviour.symmetricSequential(NatBehaviour.MAX_PORT_DELTA + 1));
        NatBehaviour.symmetricSequential(NatBehaviour.MAX_PORT_DELTA);
        e = assertThrows(IllegalArgumentException.class, () -> new NatBehaviour(Mapping.ADDRESS_AND_PORT_DEPENDENT,
                PortAllocation.RANDOM, 2, Filtering.ENDPOINT_INDEPENDENT, false, UnsolicitedTcp.DROP));
        assertTrue(e.getMessage().contains("only SEQUENTIAL"), e.getMessage());
        assertThrows(NullPointerException.class, () -> NatBehaviour.homeRouter(false).withFiltering(null));
    }

    @Test
    void factoriesAndTheOriginalConstructor() {
        NatBehaviour home = NatBehaviour.homeRouter(true);
        assertEquals(new NatBehaviour(Mapping.ENDPOINT_INDEPENDENT, PortAllocation.PRESERVING, 1,
                Filtering.ADDRESS_AND_PORT_DEPENDENT, true, UnsolicitedTcp.DROP), home);
        assertEquals(home, new NatBehaviour(Mapping.ENDPOINT_INDEPENDENT, Filtering.ADDRESS_AND_PORT_DEPENDENT, true));
        assertEquals(PortAllocation.SEQUENTIAL,
                new NatBehaviour(Mapping.ADDRESS_DEPENDENT, Filtering.ADDRESS_DEPENDENT, false).portAllocation());
        assertEquals(NatBehaviour.homeRouter(false), NatBehaviour.portRestricted());
        assertEquals(Filtering.ENDPOINT_INDEPENDENT, NatBehaviour.fullCone().filtering());
        assertEquals(Filtering.ADDRESS_DEPENDENT, NatBehaviour.addressRestricted().filtering());
        assertEquals(PortAllocation.RANDOM, NatBehaviour.symmetricRandom().portAllocation());
        assertEquals(3, NatBehaviour.symmetricSequential(3).portDelta());
        assertEquals(Mapping.ADDRESS_DEPENDENT, NatBehaviour.addressDependentSequential(2).mapping());
        assertFalse(NatBehaviour.fullCone().hairpinning());
        assertEquals("EIM/preserving APDF hairpin", home.label());
        assertEquals("APDM/sequential+2 EIF tcp-rst", NatBehaviour.symmetricSequential(2)
                .withFiltering(Filtering.ENDPOINT_INDEPENDENT).withUnsolicitedTcp(UnsolicitedTcp.RST).label());
        assertEquals(NatBehaviour.symmetricRandom(), NatBehaviour.symmetricSequential(4)
                .withMapping(Mapping.ADDRESS_AND_PORT_DEPENDENT, PortAllocation.RANDOM));
    }
}
