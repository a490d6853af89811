package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The generated rulesets contain the mechanisms LAB-FACTS.md prescribes; pure, runs everywhere. */
class NftRulesTest {

    @Test
    void homeRouterMasqueradesAndDropsUnsolicitedInForwardAndInput() {
        String rules = NftRules.nat(NatBehaviour.homeRouter(false), "192.0.2.1");
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
        String rules = NftRules.nat(NatBehaviour.homeRouter(true), "192.0.2.1");
        assertTrue(rules.contains("iifname \"lan0\" ip daddr 192.0.2.1 meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @hairpin_in"), rules);
        assertTrue(rules.contains("ct status dnat meta l4proto { tcp, udp } snat ip to meta l4proto . ip saddr . th sport map @hairpin_out"), rules);
        assertTrue(rules.contains("hook postrouting priority srcnat + 10"), rules);
        assertTrue(rules.contains("meta l4proto udp ct status snat ct reply ip daddr 192.0.2.1 update @hairpin_in { meta l4proto . ct reply proto-dst"), rules);
        assertTrue(rules.contains("timeout 30s"), rules);
    }

    @Test
    void serverCountsUdpBothWays() {
        String rules = NftRules.host("eth0");
        assertTrue(rules.contains("iifname \"eth0\" meta l4proto udp counter name \"udp_in\""), rules);
        assertTrue(rules.contains("oifname \"eth0\" meta l4proto udp counter name \"udp_out\""), rules);
    }
}
