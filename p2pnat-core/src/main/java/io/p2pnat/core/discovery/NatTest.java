package io.p2pnat.core.discovery;

/**
 * The Binding requests {@link NatCheck} sends, one per test: test I and the mapping tests of
 * RFC 5780 §4.3, the fresh mappings port allocation is judged on (RFC 4787 §4.2), the filtering
 * tests of §4.4 and the hairpinning test of §4.5.
 */
enum NatTest {
    TEST_I, MAP_ALT_IP, MAP_ALT_BOTH, MAP_ALT_PORT, ALLOC_A, ALLOC_B, FILTER_BASE, FILTER_BOTH, FILTER_PORT,
    HAIRPIN_SELF, HAIRPIN_OTHER;

    /** A hairpinning request: answered by the NAT looping it back, not by the server. */
    boolean hairpin() {
        return this == HAIRPIN_SELF || this == HAIRPIN_OTHER;
    }

    /** A filtering test with CHANGE-REQUEST: silence is a finding, not a failure. */
    boolean filteringChange() {
        return this == FILTER_BOTH || this == FILTER_PORT;
    }
}
