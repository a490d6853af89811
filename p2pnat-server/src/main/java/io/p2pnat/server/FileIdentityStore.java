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
 * a malformed line stops the server with its line number. A running server holds an exclusive
 * lock on the file, so a second server cannot share it and {@link #forget} waits for the server
 * to stop: an id is released (a device re-keyed, a user gone) while no server holds it.
 */
public final class FileIdentityStore implements IdentityStore, AutoCloseable {
    private static final Pattern LINE = Pattern.compile("([A-Za-z0-9._@-]{1,64}) ([0-9a-fA-F]{64})");
    private final Path file;
    private FileChannel out;
    private java.nio.channels.FileLock lock;

    /**
     * A store kept in {@code file}; nothing is read or locked until the server loads it.
     *
     * @param file the file; created when the first id is bound
     */
    public FileIdentityStore(Path file) {
        this.file = file;
    }

    /** {@return the file} */
    public Path file() {
        return file;
    }

    /**
     * Locks the file (creating it if missing) for this server and reads every binding kept so far
     * (the id's first key; no id twice). The server calls it at start.
     *
     * @return each id's identity public key
     * @throws IOException if the directory is missing, the file is in use by a running server,
     *                     cannot be read or is malformed (the message says where)
     */
    @Override
    public Map<String, byte[]> load() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IOException("cannot keep identities in " + file + ": no directory " + dir);
        }
        out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        try {
            lock = exclusive(out, file);
            return read(file);
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /**
     * The bindings in {@code file} (the id's first key; no id twice), in file order.
     *
     * @param file the file
     * @return each id's identity public key, empty if the file does not exist
     * @throws IOException if the file cannot be read or a line is malformed (the message names it)
     */
    public static Map<String, byte[]> read(Path file) throws IOException {
        Map<String, byte[]> bindings = new LinkedHashMap<>();
        if (Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                var m = parse(file, i, lines.get(i));
                if (m != null) {
                    // The first binding of an id is the binding; a later line for it cannot change it.
                    bindings.putIfAbsent(m.group(1), HexFormat.of().parseHex(m.group(2)));
                }
            }
        }
        return bindings;
    }

    /** The line's binding, or null for a blank or comment line. */
    private static java.util.regex.Matcher parse(Path file, int index, String raw) throws IOException {
        String line = raw.strip();
        if (line.isEmpty() || line.startsWith("#")) {
            return null;
        }
        var m = LINE.matcher(line);
        if (!m.matches()) {
            throw new IOException(file + ":" + (index + 1) + ": expected '<peer id> <64 hex digits>', got '"
                    + (line.length() > 80 ? line.substring(0, 80) + "..." : line) + "'");
        }
        return m;
    }

    private static java.nio.channels.FileLock exclusive(FileChannel ch, Path file) throws IOException {
        java.nio.channels.FileLock l;
        try {
            l = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            l = null; // held in this very process
        }
        if (l == null) {
            throw new IOException(file + " is in use by a running p2pnat server (stop it first)");
        }
        return l;
    }

    /**
     * Releases the bindings of {@code ids} (every line of each), so each id can be registered
     * again with any key. The file is rewritten whole (a new file moved into place), under its
     * lock: it fails while a server holds the file.
     *
     * @param file the file
     * @param ids  the ids to release
     * @return the ids that were bound, in the order given (the others were not in the file)
     * @throws IOException if the file is missing, malformed, or in use by a running server
     */
    public static List<String> forget(Path file, java.util.Collection<String> ids) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
             java.nio.channels.FileLock l = exclusive(ch, file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<String> kept = new java.util.ArrayList<>();
            java.util.Set<String> found = new java.util.HashSet<>();
            for (int i = 0; i < lines.size(); i++) {
                var m = parse(file, i, lines.get(i));
                if (m != null && ids.contains(m.group(1))) {
                    found.add(m.group(1));
                } else {
                    kept.add(lines.get(i));
                }
            }
            if (!found.isEmpty()) {
                Path tmp = file.resolveSibling(file.getFileName() + ".new");
                try (FileChannel w = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
                    ByteBuffer b = ByteBuffer.wrap((kept.isEmpty() ? "" : String.join("\n", kept) + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                    while (b.hasRemaining()) {
                        w.write(b);
                    }
                    w.force(true);
                }
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return ids.stream().filter(found::contains).distinct().toList();
        }
    }

    /**
     * Appends a new binding and forces it to disk. The server calls it before it answers the
     * registration that made the binding; when it throws, the registration is refused.
     *
     * @param peerId the peer id
     * @param key    its identity public key
     * @throws IOException if not loaded, or the binding could not be written
     */
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
        if (lock != null && lock.isValid()) {
            lock.release();
        }
        lock = null;
        if (out != null) {
            out.close();
            out = null;
        }
    }
}
