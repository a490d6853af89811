package io.p2pnat.core;

import java.util.regex.Pattern;

/** Validation of peer ids: 1-64 characters of letters, digits, '.', '_', '-', '@'. */
public final class PeerIds {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._@-]{1,64}");

    private PeerIds() {
    }

    public static boolean isValid(String id) {
        return id != null && VALID.matcher(id).matches();
    }

    /** @throws IllegalArgumentException saying what is wrong */
    public static String require(String id) {
        if (!isValid(id)) {
            throw new IllegalArgumentException("bad peer id '" + id
                    + "': use 1-64 letters, digits, '.', '_', '-' or '@'");
        }
        return id;
    }
}
