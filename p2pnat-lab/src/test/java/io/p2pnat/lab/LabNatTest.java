package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.LabNat.Filtering;
import io.p2pnat.lab.LabNat.Mapping;
import io.p2pnat.lab.LabNat.PortAllocation;
import io.p2pnat.lab.LabNat.UnsolicitedTcp;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which behaviour combinations exist, and the factories; pure, runs everywhere. */
class LabNatTest {

    @Test
    void exactlySevenMappingAllocationPairsAreSupported() {
        List<String> supported = new ArrayList<>();
        for (Mapping m : Mapping.values()) {
            for (PortAllocation p : PortAllocation.values()) {
                try {
                    LabNat.of(m, p, Filtering.ADDRESS_AND_PORT_DEPENDENT);
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
                () -> LabNat.of(Mapping.ENDPOINT_INDEPENDENT, PortAllocation.RANDOM, Filtering.ENDPOINT_INDEPENDENT));
        assertTrue(e.getMessage().contains("ENDPOINT_INDEPENDENT_NON_PRESERVING"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LabNat.of(Mapping.ADDRESS_AND_PORT_DEPENDENT, PortAllocation.PRESERVING, Filtering.ENDPOINT_INDEPENDENT));
        assertTrue(e.getMessage().contains("nftables"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LabNat.symmetricSequential(0));
        assertTrue(e.getMessage().contains("portDelta 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LabNat.symmetricSequential(LabNat.MAX_PORT_DELTA + 1));
        LabNat.symmetricSequential(LabNat.MAX_PORT_DELTA);
        e = assertThrows(IllegalArgumentException.class, () -> new LabNat(Mapping.ADDRESS_AND_PORT_DEPENDENT,
                PortAllocation.RANDOM, 2, Filtering.ENDPOINT_INDEPENDENT, false, UnsolicitedTcp.DROP));
        assertTrue(e.getMessage().contains("only SEQUENTIAL"), e.getMessage());
        assertThrows(NullPointerException.class, () -> LabNat.homeRouter(false).withFiltering(null));
    }

    @Test
    void factoriesAndTheOriginalConstructor() {
        LabNat home = LabNat.homeRouter(true);
        assertEquals(new LabNat(Mapping.ENDPOINT_INDEPENDENT, PortAllocation.PRESERVING, 1,
                Filtering.ADDRESS_AND_PORT_DEPENDENT, true, UnsolicitedTcp.DROP), home);
        assertEquals(home, new LabNat(Mapping.ENDPOINT_INDEPENDENT, Filtering.ADDRESS_AND_PORT_DEPENDENT, true));
        assertEquals(PortAllocation.SEQUENTIAL,
                new LabNat(Mapping.ADDRESS_DEPENDENT, Filtering.ADDRESS_DEPENDENT, false).portAllocation());
        assertEquals(LabNat.homeRouter(false), LabNat.portRestricted());
        assertEquals(Filtering.ENDPOINT_INDEPENDENT, LabNat.fullCone().filtering());
        assertEquals(Filtering.ADDRESS_DEPENDENT, LabNat.addressRestricted().filtering());
        assertEquals(PortAllocation.RANDOM, LabNat.symmetricRandom().portAllocation());
        assertEquals(3, LabNat.symmetricSequential(3).portDelta());
        assertEquals(Mapping.ADDRESS_DEPENDENT, LabNat.addressDependentSequential(2).mapping());
        assertFalse(LabNat.fullCone().hairpinning());
        assertEquals("EIM/preserving APDF hairpin", home.label());
        assertEquals("APDM/sequential+2 EIF tcp-rst", LabNat.symmetricSequential(2)
                .withFiltering(Filtering.ENDPOINT_INDEPENDENT).withUnsolicitedTcp(UnsolicitedTcp.RST).label());
        assertEquals(LabNat.symmetricRandom(), LabNat.symmetricSequential(4)
                .withMapping(Mapping.ADDRESS_AND_PORT_DEPENDENT, PortAllocation.RANDOM));
    }
}
