package io.p2pnat.cli;

import io.p2pnat.server.TurnRestCredential;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `p2pnat turn-credentials`: mints time-limited TURN credentials for a server started with
 * {@code --turn-secret} (the TURN REST API convention, as coturn's {@code --use-auth-secret}), and
 * with {@code --server} prints the {@code iceServers} entry a browser's RTCPeerConnection takes.
 */
@Command(name = "turn-credentials", mixinStandardHelpOptions = true,
        description = {"Make time-limited TURN credentials for a server run with --turn-secret (give them to a browser).",
                "User name 'EXPIRY:NAME', password base64(HMAC-SHA1(SECRET, user name)); the server needs no list of users."})
final class TurnCredentialsCommand implements Callable<Integer> {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@+-]{1,64}");

    @Option(names = "--turn-secret", paramLabel = "SECRET", description = "The server's shared secret.")
    String secret;

    @Option(names = "--turn-secret-file", paramLabel = "FILE", description = "Read the shared secret from FILE (keeps it out of ps).")
    Path secretFile;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "user",
            description = "Who the credentials are for (letters, digits, . _ @ + -; default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--ttl", paramLabel = "SECONDS", defaultValue = "86400",
            description = "How long they are valid (60 s to 30 days; default: ${DEFAULT-VALUE}).")
    long ttl;

    @Option(names = "--server", paramLabel = "HOST:PORT",
            description = "Also print the RTCPeerConnection iceServers entry for this server (turn: over UDP and TCP).")
    String server;

    @Option(names = "--tls", description = "With --server: add turns: (the server runs with --tls-cert; use its certificate's name as HOST).")
    boolean tls;

    @Option(names = "--json", description = "Print one JSON object: username, password, expires, ttl.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if ((secret == null) == (secretFile == null)) {
            throw new Main.UsageError("give the server's secret: --turn-secret SECRET or --turn-secret-file FILE (one of them)");
        }
        String s = secret;
        if (secretFile != null) {
            if (!Files.isRegularFile(secretFile)) {
                throw new Main.UsageError("bad --turn-secret-file: " + secretFile + ": no such file");
            }
            s = Files.readString(secretFile, StandardCharsets.UTF_8).strip();
        }
        if (s.isEmpty()) {
            throw new Main.UsageError("the TURN shared secret is empty");
        }
        if (!NAME.matcher(name).matches()) {
            throw new Main.UsageError("bad --name '" + name + "': use 1-64 letters, digits or . _ @ + -");
        }
        if (ttl < 60 || ttl > 30L * 86400) {
            throw new Main.UsageError("bad --ttl " + ttl + ": give 60 to 2592000 seconds");
        }
        if (tls && server == null) {
            throw new Main.UsageError("--tls goes with --server HOST:PORT");
        }
        if (server != null && !server.matches("[A-Za-z0-9.\\-]+:[0-9]{1,5}|\\[[0-9A-Fa-f:.]+\\]:[0-9]{1,5}")) {
            throw new Main.UsageError("bad --server '" + server + "': give HOST:PORT, e.g. turn.example.com:3478");
        }
        long expiry = Instant.now().getEpochSecond() + ttl;
        TurnRestCredential minted = TurnRestCredential.mint(s, name, expiry);
        String username = minted.username();
        String password = minted.password();
        if (json) {
            System.out.println(new Json().put("username", username).put("password", password)
                    .put("expires", Instant.ofEpochSecond(expiry).toString()).put("ttl", ttl));
            return 0;
        }
        System.out.println("username: " + username);
        System.out.println("password: " + password);
        System.out.println("expires:  " + Instant.ofEpochSecond(expiry) + " (in " + ttl + " s)");
        if (server != null) {
            System.out.println("new RTCPeerConnection({iceServers: " + iceServers(username, password) + "})");
        }
        return 0;
    }

    /** The iceServers array: one entry with the URLs and the credentials. */
    private String iceServers(String username, String password) {
        StringBuilder urls = new StringBuilder("\"stun:" + server + "\",\"turn:" + server + "\",\"turn:" + server
                + "?transport=tcp\"");
        if (tls) {
            urls.append(",\"turns:").append(server).append("?transport=tcp\"");
        }
        // username and password are made of [A-Za-z0-9._@+-:/=] only: nothing to escape
        return "[{\"urls\":[" + urls + "],\"username\":\"" + username + "\",\"credential\":\"" + password + "\"}]";
    }
}
