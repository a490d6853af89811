package io.p2pnat.server;

import io.p2pnat.core.rendezvous.IdentityStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The server's peer-id-to-identity-key bindings in a text file, one per line:
 * {@code <peer id> <identity public key, 64 hex digits>} ({@code #} starts a comment line). New
 * bindings are appended and forced to disk before the registration that made them is answered,
 * so a crash never leaves an id answered as bound but not kept. The file is created when missing;
 * a malformed line stops the server with its line number.
 */
public final class FileIdentityStore implements IdentityStore, AutoCloseable {
    private static final Pattern LINE = Pattern.compile("([A-Za-z0-9._@-]{1,64}) ([0-9a-fA-F]{64})");
    private final Path file;
    private FileChannel out;

    public FileIdentityStore(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    @Override
    public Map<String, byte[]> load() throws IOException {
        Map<String, byte[]> bindings = new LinkedHashMap<>();
        if (Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                var m = LINE.matcher(line);
                if (!m.matches()) {
                    throw new IOException(file + ":" + (i + 1) + ": expected '<peer id> <64 hex digits>', got '"
                            + (line.length() > 80 ? line.substring(0, 80) + "..." : line) + "'");
                }
                // The first binding of an id is the binding; a later line for it cannot change it.
                bindings.putIfAbsent(m.group(1), HexFormat.of().parseHex(m.group(2)));
            }
        }
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IOException("cannot keep identities in " + file + ": no directory " + dir);
        }
        out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        return bindings;
    }

    @Override
    public synchronized void bound(String peerId, byte[] key) throws IOException {
        if (out == null) {
            throw new IOException("identity store not loaded");
        }
        ByteBuffer line = ByteBuffer.wrap((peerId + " " + HexFormat.of().formatHex(key) + "\n").getBytes(StandardCharsets.UTF_8));
        try {
            while (line.hasRemaining()) {
                out.write(line);
            }
            out.force(false);
        } catch (IOException e) {
            System.err.println("p2pnat server: could not keep the identity of '" + peerId + "' in " + file + ": " + e.getMessage()
                    + " (its registration is refused)");
            throw e;
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (out != null) {
            out.close();
            out = null;
        }
    }
}
