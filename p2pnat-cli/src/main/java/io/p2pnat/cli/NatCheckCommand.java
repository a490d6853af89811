package io.p2pnat.cli;

import io.p2pnat.peer.NatCheck;
import io.p2pnat.peer.NatReport;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `p2pnat natcheck`: classify the NAT in front of this host (RFC 4787 terms, RFC 5780 tests). */
@Command(name = "natcheck", mixinStandardHelpOptions = true,
        description = {"Classify the NAT in front of this host (RFC 4787 terms, RFC 5780 tests).",
                "Mapping, filtering, hairpinning, port allocation, what it does to unsolicited",
                "TCP, and whether UDP hole punching can work. Needs a p2pnat server started",
                "with --alt-ip (or any RFC 5780 STUN server, minus the TCP test). Takes 1-2 s.",
                "Exit status: 0 when the server answered (even if some tests could not run),",
                "1 when it did not, 2 for bad arguments."})
final class NatCheckCommand implements Callable<Integer> {
    @Option(names = "--server", required = true, paramLabel = "IP[:PORT]", description = "The server (default port 3478).")
    String server;

    @Option(names = "--local-port", paramLabel = "N", defaultValue = "0", description = "Local UDP port of the main socket (default: any).")
    int localPort;

    @Option(names = "--json", description = "One JSON object for scripts.")
    boolean json;

    @Option(names = "--no-tcp", description = "Skip the TCP test.")
    boolean noTcp;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (localPort < 0 || localPort > 65535) {
            throw new Main.UsageError("bad --local-port " + localPort + ": must be 0-65535");
        }
        NatReport r;
        try {
            r = NatCheck.run(server, localPort, !noTcp); // parses --server before anything is sent
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError("bad --server: " + e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(NatCheckReport.json(r));
        } else {
            NatCheckReport.human(r).forEach(out::println);
        }
        out.flush();
        if (!r.ok()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("p2pnat: error: " + r.error());
            err.flush();
            return Main.EXIT_FAILURE;
        }
        return 0;
    }
}
