package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * `p2pnat bench stream` without the lab: bad arguments are one-line usage errors (exit 2) found
 * before anything is built, and the sizes and conditions it would run.
 */
class BenchStreamCliTest {
    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void badArgumentsAreUsageErrorsBeforeAnyLab() {
        String[][] cases = {
            {"--bytes", "12x"}, {"--bytes", "0"}, {"--bytes", "999"}, {"--bytes", "5G"}, {"--bytes", "-1"},
            {"--bytes", ""}, {"--bytes", "1.5M"}, {"--bytes", "99999999999M"},
            {"--runs", "0"}, {"--runs", "21"}, {"--runs", "two"},
            {"--rtt", "3"}, {"--rtt", "-2"}, {"--rtt", "4000"}, {"--rtt", "x"}, {"--rtt", "0,0"},
            {"--loss", "60"}, {"--loss", "-1"}, {"--loss", "0.001"}, {"--loss", "NaN"}, {"--loss", "1,1"},
            {"--timeout", "5"}, {"--timeout", "4000"},
            {"--tcp-cc", "Not A Name"},
            {"--frobnicate"},
        };
        for (String[] c : cases) {
            String[] args = new String[c.length + 2];
            args[0] = "bench";
            args[1] = "stream";
            System.arraycopy(c, 0, args, 2, c.length);
            Run r = run(args);
            String what = String.join(" ", args) + " -> " + r.err();
            assertEquals(Main.EXIT_USAGE, r.exit(), what);
            assertTrue(r.err().startsWith("p2pnat: "), what);
            assertTrue(r.err().contains("p2pnat bench stream --help"), what);
            assertFalse(r.err().contains("\tat "), what);
            assertFalse(r.err().contains("cannot run here"), "rejected before the lab is looked at: " + what);
        }
        Run bytes = run("bench", "stream", "--bytes", "12x");
        assertTrue(bytes.err().contains("bad --bytes '12x'"), bytes.err());
        Run rtt = run("bench", "stream", "--rtt", "3");
        assertTrue(rtt.err().contains("bad --rtt 3") && rtt.err().contains("even"), rtt.err());
    }

    @Test
    void sizesAndConditions() {
        assertEquals(100_000_000L, BenchStreamCommand.parseBytes("100M"));
        assertEquals(1_000L, BenchStreamCommand.parseBytes("1k"));
        assertEquals(4_000_000_000L, BenchStreamCommand.parseBytes("4G"));
        assertEquals(123_456L, BenchStreamCommand.parseBytes("123456"));
        assertThrows(Main.UsageError.class, () -> BenchStreamCommand.parseBytes("4001M"));

        BenchStreamCommand c = new BenchStreamCommand();
        c.runs = 1;
        c.timeoutSeconds = 300;
        c.rtts = List.of(0, 40);
        c.losses = List.of(0.0, 1.0);
        List<BenchStreamCommand.Condition> all = c.conditions();
        assertEquals(List.of(new BenchStreamCommand.Condition(0, 0, 1_000_000_000L),
                new BenchStreamCommand.Condition(0, 1, 500_000_000L),
                new BenchStreamCommand.Condition(40, 0, 300_000_000L),
                new BenchStreamCommand.Condition(40, 1, 300_000_000L)), all);
        assertEquals("rtt 40 ms, loss 1%", all.get(3).label());
        c.bytesText = "20M";
        c.losses = List.of(0.5);
        assertEquals(List.of(new BenchStreamCommand.Condition(0, 0.5, 20_000_000L),
                new BenchStreamCommand.Condition(40, 0.5, 20_000_000L)), c.conditions());
        assertEquals("rtt 0 ms, loss 0.5%", c.conditions().get(0).label());
    }

    @Test
    void helpNamesTheOptionsAndBenchListsTheCommand() {
        Run help = run("bench", "stream", "--help");
        assertEquals(0, help.exit());
        for (String option : List.of("--bytes", "--runs", "--rtt", "--loss", "--json", "--tcp-cc", "--timeout")) {
            assertTrue(help.out().contains(option), option + " in " + help.out());
        }
        Run bench = run("bench");
        assertTrue(bench.out().contains("stream"), bench.out());
    }
}
