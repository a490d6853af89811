package io.p2pnat.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `p2pnat peer`: the peer side. */
@Command(name = "peer", mixinStandardHelpOptions = true,
        description = "Run a peer: listen for connections, dial another peer, send or receive a file, or look one up.",
        subcommands = {ListenCommand.class, DialCommand.class, AttemptsCommand.class, LookupCommand.class,
                SendCommand.class, ReceiveCommand.class})
final class PeerCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: listen, dial, send, receive, attempts or lookup");
    }
}
