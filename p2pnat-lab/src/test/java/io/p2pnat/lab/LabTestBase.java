package io.p2pnat.lab;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/** What every lab test does first: clear what a killed run left, and require the lab (or skip with the reason). */
abstract class LabTestBase {
    /** The server's two addresses in the RFC 5128 figures, and the reflector's socket on the second. */
    static final String S1 = "192.0.2.128";
    static final String S2 = "192.0.2.129";
    static final String S2_SOCKET = S2 + ":20003";
    /** How long a probe waits before it calls a path silent. */
    static final Duration SILENCE = Duration.ofMillis(400);

    @BeforeAll
    static void removeLeftovers() {
        Lab.cleanupStale();
    }

    /** Per test rather than per class, so a skip shows up as skipped tests with the reason. */
    @BeforeEach
    void labAvailable() {
        LabAssumptions.assumeLabOrFail();
    }
}
