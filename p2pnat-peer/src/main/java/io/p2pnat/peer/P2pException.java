package io.p2pnat.peer;

/**
 * A failure a user can act on; {@link #getMessage()} says what is wrong in one line and
 * {@link #reason()} classifies it for programs (and CLI exit codes).
 */
public final class P2pException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why an operation failed. */
    public enum Reason {
        /** The rendezvous server did not answer. */
        SERVER_UNREACHABLE,
        /** The server answered with a refusal. */
        SERVER_REFUSED,
        /** The dialed peer is not registered. */
        UNKNOWN_PEER,
        /**
         * The peer was introduced but no path answered, or the chosen path stopped answering
         * before the secure handshake completed.
         */
        PEER_UNREACHABLE,
        /** Not registered (yet or any more). */
        NOT_REGISTERED,
        /** The connection or peer is closed. */
        CLOSED,
        /**
         * The peer's identity key is not the expected one: it answered on the path but refused
         * or failed the secure handshake, or its key is not the one pinned.
         */
        KEY_MISMATCH,
        /** Bad input from the caller. */
        BAD_ARGUMENT,
        /** The local socket failed. */
        IO
    }

    /** Why the operation failed. */
    private final Reason reason;

    /**
     * A failure with a one-line message.
     *
     * @param reason  the failure's class
     * @param message what is wrong, fit for a user
     */
    public P2pException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /**
     * A failure with a one-line message and its cause.
     *
     * @param reason  the failure's class
     * @param message what is wrong, fit for a user
     * @param cause   the underlying exception
     */
    public P2pException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** {@return why the operation failed} */
    public Reason reason() {
        return reason;
    }
}
