package io.p2pnat.core.tcp;

import io.p2pnat.core.peer.Introduction;

/**
 * The end-to-end Noise handshake riding on a stream's authentication (NOISE-HANDSHAKE in the
 * STUN Binding exchange, as the UDP checks carry it): the dialer's first message goes in its
 * hello, the listener's answer in its response, so the stream is secure when it is chosen instead
 * of one round trip later. The driver keeps one secure channel per introduction behind this.
 */
public interface StreamHandshake {
    /** The dialer's first message for {@code intro}, to carry in its hello (null: none). */
    byte[] offer(Introduction intro);

    /** The listener's answer to a first message an authentic hello carried (null: none). */
    byte[] answer(Introduction intro, byte[] firstMessage);

    /** The dialer got the listener's answer in an authentic response (a bad one is ignored). */
    void answered(Introduction intro, byte[] answer);
}
