package io.p2pnat.core.tcp;

import io.p2pnat.core.secure.SecureChannel;

/**
 * The end-to-end channel of a chosen stream, with the peer's answer its authentication brought
 * (null: none); {@link #settle()} reads the answer (key work: a socket driver does it off its
 * selector thread).
 */
public record EarlyHandshake(SecureChannel secure, byte[] answer) {
    /** The channel, established when the answer authenticates; else as it was (the stream's handshake follows). */
    public SecureChannel settle() {
        if (answer != null && !secure.established()) {
            try {
                secure.onHandshake(answer);
            } catch (SecureChannel.SecureChannelException e) {
                // not the vouched key: the handshake on the stream refuses it with the right cause
            }
        }
        return secure;
    }
}
