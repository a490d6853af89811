package io.p2pnat.lab;

/**
 * A lab operation failed: an external command ({@code ip}, {@code nft}, {@code sysctl}) exited
 * non-zero or timed out, or the lab was used wrongly. The message names the command line and
 * quotes its stderr, so a failing test says exactly which kernel call refused what.
 */
public final class LabException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, including the command and its stderr where there is one */
    public LabException(String message) {
        super(message);
    }

    /**
     * @param message what failed
     * @param cause the underlying failure
     */
    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
