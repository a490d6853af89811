package io.p2pnat.cli;

import io.p2pnat.peer.P2pException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `p2pnat` command: one entry point for the server, peers, the lab demo and more. */
@Command(name = "p2pnat", mixinStandardHelpOptions = true, version = "p2pnat 0.1.0",
        description = {"Direct peer-to-peer connections across NATs (RFC 5128): a rendezvous server,",
                "peers that find each other through it and punch direct UDP paths, and a lab of real Linux NATs."},
        subcommands = {ServerCommand.class, IdentitiesCommand.class, TurnCredentialsCommand.class, PeerCommand.class, NatCheckCommand.class, DemoCommand.class, LabCommand.class, SimCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Quick start:  p2pnat demo",
                "Two machines: p2pnat server --port 3478",
                "              p2pnat peer listen --server HOST --id bob",
                "              p2pnat peer dial --server HOST --id alice bob"})
public final class Main implements Runnable {
    /** Exit status for a failed operation (no connection, lost messages, server unreachable). */
    public static final int EXIT_FAILURE = 1;
    /** Exit status for bad arguments. */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit status. */
    public static int run(String... args) {
        CommandLine cl = commandLine();
        return cl.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("p2pnat: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (ex instanceof UsageError) {
                err.println("p2pnat: " + ex.getMessage());
                err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for usage.");
                err.flush();
                return EXIT_USAGE;
            }
            if (ex instanceof P2pException || ex instanceof IllegalArgumentException) {
                err.println("p2pnat: error: " + ex.getMessage());
            } else {
                err.println("p2pnat: internal error: " + ex);
                if (System.getenv("P2PNAT_DEBUG") != null) {
                    ex.printStackTrace(err);
                }
            }
            err.flush();
            return EXIT_FAILURE;
        });
        return cl;
    }

    /** A user mistake in arguments found after parsing (range checks and the like). */
    static final class UsageError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }
}
