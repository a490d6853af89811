package io.p2pnat.cli;

import io.p2pnat.peer.IdentityKey;
import io.p2pnat.server.FileIdentityStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `p2pnat identities`: what a server's --identities file binds, and releasing ids from it. */
@Command(name = "identities", mixinStandardHelpOptions = true,
        description = {"Show or release the peer-id bindings a server keeps in its --identities file.",
                "A released id can be registered again with a new key (a re-installed device, a new user)."},
        subcommands = {IdentitiesCommand.ListCommand.class, IdentitiesCommand.ForgetCommand.class, CommandLine.HelpCommand.class})
final class IdentitiesCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Print each bound id with its key's fingerprint.")
    static final class ListCommand implements Callable<Integer> {
        @Option(names = "--file", required = true, paramLabel = "FILE", description = "The server's --identities file.")
        Path file;

        @Override
        public Integer call() {
            Map<String, byte[]> bindings;
            try {
                if (!java.nio.file.Files.isRegularFile(file)) {
                    throw new Main.UsageError("bad --file: " + file + ": no such file");
                }
                bindings = FileIdentityStore.read(file);
            } catch (IOException e) {
                throw new Main.UsageError("bad --file: " + e.getMessage());
            }
            bindings.forEach((id, key) -> System.out.println(id + " " + IdentityKey.fingerprint(key)));
            System.err.println(bindings.size() + " ids bound in " + file);
            return 0;
        }
    }

    @Command(name = "forget", mixinStandardHelpOptions = true,
            description = {"Release ids: remove their bindings from FILE, so each can register again with any key.",
                    "Stop the server first (it holds the file locked while it runs); start it again afterwards."})
    static final class ForgetCommand implements Callable<Integer> {
        @Option(names = "--file", required = true, paramLabel = "FILE", description = "The server's --identities file.")
        Path file;

        @Parameters(arity = "1..*", paramLabel = "ID", description = "Peer ids to release.")
        List<String> ids;

        @Override
        public Integer call() {
            List<String> released;
            try {
                released = FileIdentityStore.forget(file, ids);
            } catch (IOException e) {
                String m = e.getMessage();
                if (m != null && m.contains("in use by a running")) {
                    System.err.println("p2pnat: " + m + "; nothing released");
                    return Main.EXIT_FAILURE;
                }
                throw new Main.UsageError("bad --file: " + m);
            }
            for (String id : ids) {
                System.out.println(id + (released.contains(id) ? " released" : " was not bound"));
            }
            return released.size() == ids.stream().distinct().count() ? 0 : Main.EXIT_FAILURE;
        }
    }
}
