package io.p2pnat.peer.internal;

import java.io.IOException;
import java.io.InputStream;

/** An InputStream that reads in bulk: one-byte reads and empty reads are answered here, once. */
public abstract class BulkInputStream extends InputStream {
    @Override
    public final int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n <= 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public final int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        return len == 0 ? 0 : readSome(b, off, len);
    }

    /** Reads 1 to {@code len} bytes (blocking until at least one), or -1 at the end. */
    protected abstract int readSome(byte[] b, int off, int len) throws IOException;
}
