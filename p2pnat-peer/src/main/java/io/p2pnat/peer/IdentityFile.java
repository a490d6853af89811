package io.p2pnat.peer;

import io.p2pnat.core.secure.Identity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Set;

/**
 * A peer's identity key on disk: created on first use with owner-only permissions (0600), one
 * line of hex (the X25519 private key). The default is {@code ~/.p2pnat/identity.key}.
 */
public final class IdentityFile {
    private IdentityFile() {
    }

    /** {@return the default path, {@code ~/.p2pnat/identity.key}} */
    public static Path defaultPath() {
        return Path.of(System.getProperty("user.home"), ".p2pnat", "identity.key");
    }

    /**
     * Loads the identity key at {@code path}, creating it (and its directory, 0700) when missing.
     *
     * @param path the key file, e.g. {@link #defaultPath()}
     * @return the key
     * @throws P2pException BAD_ARGUMENT if the file is unreadable, malformed, or readable by others
     */
    public static IdentityKey loadOrCreateKey(Path path) throws P2pException {
        return IdentityKey.of(loadOrCreate(path));
    }

    /**
     * As {@link #loadOrCreateKey(Path)}, returning the core type.
     *
     * @throws P2pException BAD_ARGUMENT if the file is unreadable, malformed, or readable by others
     */
    static Identity loadOrCreate(Path path) throws P2pException {
        try {
            if (Files.exists(path)) {
                return load(path);
            }
            Path dir = path.toAbsolutePath().getParent();
            if (dir != null && !Files.exists(dir)) {
                Files.createDirectories(dir);
                trySetPermissions(dir, "rwx------");
            }
            Identity id = Identity.generate();
            try {
                Files.writeString(path, HexFormat.of().formatHex(id.privateKey()) + "\n", StandardCharsets.US_ASCII,
                        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                return load(path); // created by another process meanwhile
            }
            trySetPermissions(path, "rw-------");
            return id;
        } catch (IOException e) {
            throw new P2pException(P2pException.Reason.BAD_ARGUMENT, "cannot use key file " + path + ": " + e.getMessage(), e);
        }
    }

    private static Identity load(Path path) throws IOException, P2pException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                throw new P2pException(P2pException.Reason.BAD_ARGUMENT, "key file " + path
                        + " is readable by others; run: chmod 600 " + path);
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
        String text = Files.readString(path, StandardCharsets.US_ASCII).trim();
        try {
            return Identity.fromPrivateKey(HexFormat.of().parseHex(text));
        } catch (IllegalArgumentException e) {
            throw new P2pException(P2pException.Reason.BAD_ARGUMENT, "key file " + path
                    + " does not hold a p2pnat identity (64 hex digits)");
        }
    }

    private static void trySetPermissions(Path p, String perms) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }
}
