package io.p2pnat.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `p2pnat bench`: benchmarks that print figures (they are not tests). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks. They print figures and take a while; they are not tests.",
                "  turn   our TURN server against coturn, both loaded by coturn's turnutils_uclient",
                "  relay  how many native relay sessions one rendezvous service holds, and bytes per session",
                "  stream the UDP stream (QUIC) against the TCP-punched stream through two real NATs (lab, root)"},
        subcommands = {BenchTurnCommand.class, BenchRelayCommand.class, BenchStreamCommand.class, CommandLine.HelpCommand.class})
final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
