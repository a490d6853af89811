package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TechniqueTheoryTest {
    private static final TechniqueTheory.Traits EIF = new TechniqueTheory.Traits(true, false, false, true);
    private static final TechniqueTheory.Traits ADF = new TechniqueTheory.Traits(true, false, false, true);
    private static final TechniqueTheory.Traits APDF = new TechniqueTheory.Traits(true, false, false, false);
    private static final TechniqueTheory.Traits ADM_SEQ = new TechniqueTheory.Traits(false, true, false, true);
    private static final TechniqueTheory.Traits APDM_SEQ = new TechniqueTheory.Traits(false, true, false, false);
    private static final TechniqueTheory.Traits RANDOM = new TechniqueTheory.Traits(false, false, true, false);
    private static final TechniqueTheory.Traits[] TYPES = {EIF, ADF, APDF, ADM_SEQ, APDM_SEQ, RANDOM};

    /** Rows: dialer EIF, ADF, APDF, ADM seq, APDM seq, random; columns: the listener, same order. */
    private static final String[][] UDP = {
        {"h", "h", "h", "p", "p", "h"},
        {"h", "h", "h", "p", "p", "h"},
        {"h", "h", "h", "p", "p", "b"},
        {"p", "p", "p", "p", "p", "r"},
        {"p", "p", "p", "p", "p", "r"},
        {"h", "h", "b", "r", "r", "r"},
    };

    private static String name(String code, boolean tcp) {
        String t = tcp ? "tcp" : "udp";
        return switch (code) {
            case "h" -> t + "-hole-punch";
            case "p" -> t + "-port-prediction";
            case "b" -> tcp ? "relay" : "birthday-punch";
            default -> "relay";
        };
    }

    @Test
    void theMatrixOfTheIssue() {
        for (boolean tcp : new boolean[] {false, true}) {
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 6; j++) {
                    assertEquals(name(UDP[i][j], tcp), TechniqueTheory.expected(TYPES[i], TYPES[j], tcp),
                            (tcp ? "tcp " : "udp ") + i + "," + j);
                }
            }
        }
    }
}
