package io.p2pnat.core.turn;

import io.p2pnat.wire.StunMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A static users table for the long-term credential mechanism (RFC 8489 §9.2), read from a users
 * file. Only the keys are kept, never the passwords (RFC 8656 §6).
 *
 * <p>File format (UTF-8), one user per line:
 * <pre>
 * # comment lines and blank lines are ignored
 * alice:correct horse battery staple
 * bob:s3cret
 * </pre>
 * The username is everything before the first {@code ':'} (so it cannot contain one), the password
 * everything after it (it may contain {@code ':'}); surrounding whitespace of the line is trimmed.
 * A username may appear once.
 */
public final class TurnUsers implements TurnCredentials {
    private final String realm;
    private final Map<String, TurnCredential> users;

    private TurnUsers(String realm, Map<String, TurnCredential> users) {
        this.realm = realm;
        this.users = Map.copyOf(users);
    }

    /** Reads a users file. @throws IllegalArgumentException naming the bad line */
    public static TurnUsers read(Path file, String realm) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8), realm);
    }

    /** Parses users-file lines. @throws IllegalArgumentException naming the bad line */
    public static TurnUsers parse(List<String> lines, String realm) {
        Map<String, TurnCredential> users = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || colon == line.length() - 1) {
                throw new IllegalArgumentException("users file line " + (i + 1) + ": expected user:password");
            }
            String user = line.substring(0, colon);
            String password = line.substring(colon + 1);
            if (user.getBytes(StandardCharsets.UTF_8).length > 509) {
                throw new IllegalArgumentException("users file line " + (i + 1) + ": username longer than 509 bytes");
            }
            if (users.put(user, new TurnCredential(StunMessage.longTermKey(user, realm, password), user)) != null) {
                throw new IllegalArgumentException("users file line " + (i + 1) + ": user '" + user + "' appears twice");
            }
        }
        return new TurnUsers(realm, users);
    }

    /** Number of users. */
    public int size() {
        return users.size();
    }

    @Override
    public TurnCredential lookup(String username, String realm, long unixSeconds) {
        return this.realm.equals(realm) ? users.get(username) : null;
    }
}
