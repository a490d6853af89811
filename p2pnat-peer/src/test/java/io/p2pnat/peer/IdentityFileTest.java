package io.p2pnat.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.secure.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityFileTest {
    @TempDir
    Path dir;

    @Test
    void createdOnFirstUseOwnerOnlyAndReloadedTheSame() throws Exception {
        Path key = dir.resolve("keys").resolve("alice.key");
        Identity first = IdentityFile.loadOrCreate(key);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent())));
        Identity again = IdentityFile.loadOrCreate(key);
        assertArrayEquals(first.publicKey(), again.publicKey());
    }

    @Test
    void aKeyFileOthersCanReadOrThatIsNotAKeyIsRefusedWithAReason() throws Exception {
        Path key = dir.resolve("bob.key");
        IdentityFile.loadOrCreate(key);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        P2pException e = assertThrows(P2pException.class, () -> IdentityFile.loadOrCreate(key));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());

        Path junk = dir.resolve("junk.key");
        Files.writeString(junk, "hello\n");
        Files.setPosixFilePermissions(junk, PosixFilePermissions.fromString("rw-------"));
        P2pException j = assertThrows(P2pException.class, () -> IdentityFile.loadOrCreate(junk));
        assertTrue(j.getMessage().contains("does not hold a p2pnat identity"), j.getMessage());
    }
}
