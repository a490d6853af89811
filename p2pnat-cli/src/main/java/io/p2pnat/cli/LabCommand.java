package io.p2pnat.cli;

import io.p2pnat.lab.Lab;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `p2pnat lab`: experiments on real NATs in network namespaces (root). */
@Command(name = "lab", mixinStandardHelpOptions = true, description = "Experiments on real Linux NATs in network namespaces (needs root).",
        subcommands = {LabCommand.MatrixCommand.class})
final class LabCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: matrix");
    }

    /** `p2pnat lab matrix`. */
    @Command(name = "matrix", mixinStandardHelpOptions = true,
            description = {"Run every pair of NAT types (EIM+EIF, EIM+ADF, EIM+APDF, ADM seq, APDM seq, APDM random) through",
                    "real lab NATs, over UDP and TCP, and print: pair, technique theory expects, technique that won,",
                    "setup ms, direct or relayed. Exit status 0 only if every cell matches theory."})
    static final class MatrixCommand implements Callable<Integer> {
        @Option(names = "--transport", paramLabel = "udp|tcp|both", defaultValue = "both",
                description = "Which transports (default: ${DEFAULT-VALUE}).")
        String transport;

        @Option(names = "--json", description = "One JSON line per cell.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<String> transports = switch (transport) {
                case "udp" -> List.of("udp");
                case "tcp" -> List.of("tcp");
                case "both" -> List.of("udp", "tcp");
                default -> throw new Main.UsageError("bad --transport '" + transport + "': use udp, tcp or both");
            };
            Optional<String> why = Lab.unavailableReason();
            if (why.isPresent()) {
                System.err.println("p2pnat: error: the NAT lab cannot run here: " + why.get());
                return Main.EXIT_FAILURE;
            }
            Lab.cleanupStale();
            List<Matrix.Cell> cells = Matrix.run(transports, List.of(NatType.values()), json ? null : System.err);
            List<Matrix.HairpinCell> hairpin = Matrix.runHairpin(transports);
            if (json) {
                for (Matrix.Cell c : cells) {
                    System.out.println(new Json().put("transport", c.transport()).put("dialerNat", c.dialer().label)
                            .put("listenerNat", c.listener().label).put("expected", c.expected()).put("technique", c.technique())
                            .put("path", c.path()).put("setupMs", c.setupMs()).put("ok", c.ok()).put("error", c.error()));
                }
                for (Matrix.HairpinCell c : hairpin) {
                    System.out.println(new Json().put("transport", c.transport()).put("scenario", "fig5")
                            .put("hairpinning", c.hairpin()).put("expected", c.expected()).put("technique", c.technique())
                            .put("via", c.via()).put("setupMs", c.setupMs()).put("ok", c.ok()));
                }
            } else {
                Matrix.print(cells, System.out);
                System.out.println();
                Matrix.printHairpin(hairpin, System.out);
            }
            boolean ok = cells.stream().allMatch(Matrix.Cell::ok) && hairpin.stream().allMatch(Matrix.HairpinCell::ok);
            return ok ? 0 : Main.EXIT_FAILURE;
        }
    }

}
