package io.p2pnat.core.rendezvous;

import java.util.Objects;

/**
 * What the rendezvous service asks its driver to do with TCP connections (the stream side of
 * {@link RendezvousService}; connections are named by the driver's {@code long} ids).
 */
public sealed interface StreamCommand {
    /** The connection this command is about (the first one, for a splice). */
    long connId();

    /** Write {@code bytes} to the connection, in order after earlier writes. */
    record Write(long connId, byte[] bytes) implements StreamCommand {
        public Write {
            Objects.requireNonNull(bytes, "bytes");
        }
    }

    /**
     * Close the connection once the writes queued before this command are flushed. The service has
     * already forgotten it; reporting its closure with {@link RendezvousService#handleStreamClosed}
     * is harmless.
     */
    record Close(long connId) implements StreamCommand {
    }

    /**
     * From now on copy raw bytes between the two connections, both ways (RFC 5128 §3.1 relaying,
     * for streams), forwarding a half-close (FIN) from one to the other, and closing the other when
     * one fails. The service has forgotten both: never feed them to it again.
     */
    record Splice(long connIdA, long connIdB) implements StreamCommand {
        public Splice {
            if (connIdA == connIdB) {
                throw new IllegalArgumentException("cannot splice a connection to itself: " + connIdA);
            }
        }

        @Override
        public long connId() {
            return connIdA;
        }
    }
}
