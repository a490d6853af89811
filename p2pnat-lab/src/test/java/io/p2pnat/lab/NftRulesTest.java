package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The generated rulesets contain the mechanisms docs/lab-facts.md prescribes; pure, runs everywhere. */
class NftRulesTest {

    @Test
    void homeRouterMasqueradesAndDropsUnsolicitedInForwardAndInput() {
        String rules = NftRules.nat(LabNat.homeRouter(false), "192.0.2.1");
        assertTrue(rules.contains("oifname \"wan0\" masquerade"), rules);
        String drop = "iifname \"wan0\" ct state != { established, related } counter name \"pub_unsolicited_dropped\" drop";
        assertTrue(rules.contains("hook input priority filter; policy accept;\n\t\t" + drop), rules);
        assertTrue(rules.contains("hook forward priority filter; policy accept;\n\t\t" + drop), rules);
        assertTrue(rules.contains("counter name \"pub_udp_in\""), rules);
        assertTrue(rules.contains("counter name \"pub_udp_out\""), rules);
        assertFalse(rules.contains("hairpin"), rules);
    }

    @Test
    void hairpinningLearnsAfterNatAndRewritesBothEnds() {
        String rules = NftRules.nat(LabNat.homeRouter(true), "192.0.2.1");
        assertTrue(rules.contains("iifname \"lan0\" ip daddr 192.0.2.1 meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @learned_in"), rules);
        assertTrue(rules.contains("ct status dnat meta l4proto { tcp, udp } snat ip to meta l4proto . ip saddr . th sport map @learned_out"), rules);
        assertTrue(rules.contains("hook postrouting priority srcnat + 10"), rules);
        assertTrue(rules.contains("meta l4proto udp ct status snat ct reply ip daddr 192.0.2.1 update @learned_in { meta l4proto . ct reply proto-dst"), rules);
        assertTrue(rules.contains("timeout 30s"), rules);
        assertFalse(rules.contains("iifname \"wan0\" ip daddr"), "no inbound DNAT with APDF: " + rules);
    }

    @Test
    void sequentialPortsGoThroughAMapOfRealPortNumbers() {
        String rules = NftRules.nat(LabNat.symmetricSequential(3), "192.0.2.1");
        assertTrue(rules.contains("oifname \"wan0\" meta l4proto { tcp, udp } snat ip to 192.0.2.1 : numgen inc mod 500 map"
                + " { 0 : 40000, 1 : 40003, 2 : 40006,"), rules);
        assertTrue(rules.contains(", 499 : 41497 }\n"), rules);
        assertTrue(rules.contains("oifname \"wan0\" masquerade\n"), "other protocols: " + rules);
        assertFalse(rules.contains("learn"), "nothing to learn for APDM/APDF: " + rules);
    }

    @Test
    void mappingsReuseALearnedPortBeforeTheAllocator() {
        String eim = NftRules.nat(LabNat.of(LabNat.Mapping.ENDPOINT_INDEPENDENT_NON_PRESERVING,
                LabNat.PortAllocation.RANDOM, LabNat.Filtering.ADDRESS_AND_PORT_DEPENDENT), "192.0.2.1");
        assertTrue(eim.contains("snat ip to meta l4proto . ip saddr . th sport map @learned_out\n"
                + "\t\toifname \"wan0\" masquerade fully-random\n"), eim);
        String adm = NftRules.nat(LabNat.addressDependentSequential(1), "192.0.2.1");
        assertTrue(adm.contains("snat ip to meta l4proto . ip saddr . th sport . ip daddr map @adm_out\n"
                + "\t\toifname \"wan0\" meta l4proto { tcp, udp } snat ip to 192.0.2.1 : numgen inc"), adm);
        assertTrue(adm.contains("update @adm_out { meta l4proto . ct original ip saddr . ct original proto-src"
                + " . ct original ip daddr : ct reply ip daddr . ct reply proto-dst }"), adm);
    }

    @Test
    void fullConeAndRestrictedConeDnatTheLearnedMappings() {
        String full = NftRules.nat(LabNat.fullCone(), "192.0.2.1");
        assertTrue(full.contains("iifname \"wan0\" ip daddr 192.0.2.1 meta l4proto { tcp, udp } dnat ip to meta l4proto"
                + " . th dport map @learned_in"), full);
        assertTrue(full.contains("hook forward priority filter; policy accept;\n\t\tiifname \"wan0\" ct state != "
                + "{ established, related } ct status dnat accept"), full);
        assertFalse(full.contains("input priority filter; policy accept;\n\t\tiifname \"wan0\" ct state != "
                + "{ established, related } ct status dnat"), "input never accepts: " + full);
        String restricted = NftRules.nat(LabNat.addressRestricted(), "192.0.2.1");
        assertTrue(restricted.contains("meta l4proto . th dport . ip saddr @adf_peers dnat ip to"), restricted);
        assertTrue(restricted.contains("update @adf_peers { meta l4proto . ct reply proto-dst . ct original ip daddr }"), restricted);
    }

    @Test
    void unsolicitedTcpCanBeReset() {
        String rules = NftRules.nat(LabNat.homeRouter(false).withUnsolicitedTcp(LabNat.UnsolicitedTcp.RST), "192.0.2.1");
        assertTrue(rules.contains("ct state != { established, related } meta l4proto tcp counter name"
                + " \"pub_unsolicited_dropped\" reject with tcp reset"), rules);
    }

    @Test
    void countersCarryOverAndTheTableIsReplacedInOneTransaction() {
        String table = NftRules.nat(LabNat.fullCone(), "192.0.2.1",
                java.util.Map.of("pub_udp_in", new NftRules.Count(7, 700)));
        assertTrue(table.contains("counter pub_udp_in { packets 7 bytes 700 }"), table);
        assertTrue(table.contains("counter pub_udp_out { }"), table);
        assertTrue(NftRules.replacing(table).startsWith("table ip p2pnat_lab { }\ndelete table ip p2pnat_lab\ntable ip p2pnat_lab {"));
    }

    @Test
    void aRebootMovesEveryAllocatorToOtherPortsAndKeepsTheMapping() {
        java.util.Map<String, NftRules.Count> none = java.util.Map.of();
        assertEquals(NftRules.nat(LabNat.homeRouter(false), "192.0.2.1"),
                NftRules.nat(LabNat.homeRouter(false), "192.0.2.1", none, 0), "boot 0 is the NAT as built");

        // port-preserving EIM: the learned map keeps it endpoint-independent, a block gives new ports
        String eim1 = NftRules.nat(LabNat.homeRouter(false), "192.0.2.1", none, 1);
        assertTrue(eim1.contains("oifname \"wan0\" meta l4proto { tcp, udp } snat ip to meta l4proto . ip saddr . th sport"
                + " map @learned_out\n\t\toifname \"wan0\" meta l4proto { tcp, udp } masquerade to :10000-19999 fully-random\n"
                + "\t\toifname \"wan0\" masquerade\n"), eim1);
        assertTrue(eim1.contains("update @learned_out { meta l4proto . ct original ip saddr"), "learned after NAT: " + eim1);
        assertFalse(eim1.contains("update @learned_in"), "still APDF, nothing let in: " + eim1);
        assertTrue(NftRules.nat(LabNat.homeRouter(false), "192.0.2.1", none, 2).contains("masquerade to :20000-29999 fully-random"));
        assertTrue(NftRules.nat(LabNat.homeRouter(false), "192.0.2.1", none, 3).contains("masquerade to :10000-19999 fully-random"));

        // sequential: the same ports, the counter starting half a cycle on per boot
        String seq1 = NftRules.nat(LabNat.symmetricSequential(2), "192.0.2.1", none, 1);
        assertTrue(seq1.contains("numgen inc mod 500 map { 0 : 40500, 1 : 40502,"), seq1);
        assertTrue(seq1.contains(", 249 : 40998, 250 : 40000, 251 : 40002,"), seq1);
        assertTrue(NftRules.nat(LabNat.symmetricSequential(2), "192.0.2.1", none, 2)
                .contains("numgen inc mod 500 map { 0 : 40000, 1 : 40002,"), "boot 2 starts where boot 0 did");

        // random: alternate halves of the range
        String random1 = NftRules.nat(LabNat.symmetricRandom(), "192.0.2.1", none, 1);
        assertTrue(random1.contains("oifname \"wan0\" meta l4proto { tcp, udp } masquerade to :1024-33279 fully-random\n"
                + "\t\toifname \"wan0\" masquerade fully-random\n"), random1);
        assertTrue(NftRules.nat(LabNat.symmetricRandom(), "192.0.2.1", none, 2).contains("masquerade to :33280-65535 fully-random"));
        String eimRandom1 = NftRules.nat(LabNat.of(LabNat.Mapping.ENDPOINT_INDEPENDENT_NON_PRESERVING,
                LabNat.PortAllocation.RANDOM, LabNat.Filtering.ENDPOINT_INDEPENDENT), "192.0.2.1", none, 1);
        assertTrue(eimRandom1.contains("map @learned_out\n\t\toifname \"wan0\" meta l4proto { tcp, udp } masquerade to"
                + " :1024-33279 fully-random\n"), eimRandom1);
        assertThrows(IllegalArgumentException.class, () -> NftRules.nat(LabNat.fullCone(), "192.0.2.1", none, -1));
    }

    @Test
    void serverCountsUdpBothWays() {
        String rules = NftRules.host("eth0");
        assertTrue(rules.contains("iifname \"eth0\" meta l4proto udp counter name \"udp_in\""), rules);
        assertTrue(rules.contains("oifname \"eth0\" meta l4proto udp counter name \"udp_out\""), rules);
    }
}
