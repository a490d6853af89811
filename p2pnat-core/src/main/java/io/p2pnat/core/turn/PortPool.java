package io.p2pnat.core.turn;

import java.util.BitSet;
import java.util.Random;

/**
 * The relay ports of RFC 8656 §7.2: "the server allocates any available relayed transport address"
 * from the configured range, an even one for EVEN-PORT, or an even one whose successor it keeps
 * for a RESERVATION-TOKEN (R bit). The search starts at a random port so relayed addresses are
 * hard to guess. Bookkeeping only: the driver binds the sockets.
 */
final class PortPool {
    private final int min;
    private final int size;
    private final BitSet used;
    private final Random random;
    private int inUse;

    PortPool(int min, int max, Random random) {
        this.min = min;
        this.size = max - min + 1;
        this.used = new BitSet(size);
        this.random = random;
    }

    /** Any free port, or -1. */
    int take() {
        if (inUse >= size) {
            return -1;
        }
        int start = random.nextInt(size);
        int i = used.nextClearBit(start);
        if (i >= size) {
            i = used.nextClearBit(0);
        }
        if (i >= size) {
            return -1;
        }
        mark(i);
        return min + i;
    }

    /**
     * A free even port N, and with {@code withNext} also N+1 (both taken), or -1. RFC 8656 §7.2:
     * "the server looks for a pair of port numbers N and N+1 on the same IP address, where N is even".
     */
    int takeEven(boolean withNext) {
        int start = random.nextInt(size);
        for (int k = 0; k < size; k++) {
            int i = (start + k) % size;
            int port = min + i;
            if ((port & 1) != 0 || used.get(i)) {
                continue;
            }
            if (withNext && (i + 1 >= size || used.get(i + 1))) {
                continue;
            }
            mark(i);
            if (withNext) {
                mark(i + 1);
            }
            return port;
        }
        return -1;
    }

    void release(int port) {
        int i = port - min;
        if (i >= 0 && i < size && used.get(i)) {
            used.clear(i);
            inUse--;
        }
    }

    int free() {
        return size - inUse;
    }

    private void mark(int i) {
        used.set(i);
        inUse++;
    }
}
