package io.p2pnat.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** `p2pnat demo`: see p2pnat connect peers behind real NATs (or on loopback without root). */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Build real NATs in network namespaces (RFC 5128 figures 3-5), start a server and peers behind",
                "them, connect and echo, and print a table. Without root, runs the same exchange on loopback."})
final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        return Demo.run(System.out, System.err);
    }
}
