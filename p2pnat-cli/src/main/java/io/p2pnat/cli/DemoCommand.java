package io.p2pnat.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** `p2pnat demo`: see p2pnat connect peers behind real NATs (or, without root, simulated ones). */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Connect peers through real NATs (RFC 5128 figures 1-5) and print what worked, how fast.",
                "Builds the NATs in network namespaces, starts a server and peers behind them, connects and echoes,",
                "and prints a table. Without root (or nftables), shows the same figures on the",
                "simulator (the same peer and server code on a virtual Internet), then one real exchange on loopback."})
final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        return Demo.run(System.out, System.err);
    }
}
