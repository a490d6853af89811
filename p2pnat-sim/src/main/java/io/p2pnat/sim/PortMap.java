package io.p2pnat.sim;

import java.util.function.Predicate;

/**
 * A map from port numbers to values without boxing: open addressing with linear probing and
 * backward-shift deletion. A NAT model looks its public ports up on every packet; with a
 * {@code HashMap<Integer, ...>} each lookup of a port above 127 allocated an Integer.
 *
 * @param <V> the value type
 */
final class PortMap<V> {
    private static final int EMPTY = -1;
    private int[] keys;
    private Object[] values;
    private int size;
    private int mask;
    private int shift;

    PortMap() {
        alloc(8);
    }

    private void alloc(int capacity) {
        keys = new int[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        values = new Object[capacity];
        mask = capacity - 1;
        shift = 32 - Integer.numberOfTrailingZeros(capacity);
    }

    private int slot(int port) {
        return (port * 0x9E3779B1) >>> shift; // Fibonacci hashing: the top bits
    }

    int size() {
        return size;
    }

    @SuppressWarnings("unchecked")
    V get(int port) {
        for (int i = slot(port); ; i = (i + 1) & mask) {
            int k = keys[i];
            if (k == port) {
                return (V) values[i];
            }
            if (k == EMPTY) {
                return null;
            }
        }
    }

    void put(int port, V value) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        if ((size + 1) * 4 > keys.length * 3) {
            grow();
        }
        for (int i = slot(port); ; i = (i + 1) & mask) {
            if (keys[i] == port) {
                values[i] = value;
                return;
            }
            if (keys[i] == EMPTY) {
                keys[i] = port;
                values[i] = value;
                size++;
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void grow() {
        int[] oldKeys = keys;
        Object[] oldValues = values;
        alloc(keys.length * 2);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                put(oldKeys[i], (V) oldValues[i]);
            }
        }
    }

    void remove(int port) {
        int i = slot(port);
        while (keys[i] != port) {
            if (keys[i] == EMPTY) {
                return;
            }
            i = (i + 1) & mask;
        }
        deleteAt(i);
    }

    /** Knuth's algorithm R: shift later members of the probe run back over the hole. */
    private void deleteAt(int hole) {
        size--;
        int i = hole;
        while (true) {
            i = (i + 1) & mask;
            int k = keys[i];
            if (k == EMPTY) {
                break;
            }
            int home = slot(k);
            // Move k into the hole unless its home lies cyclically in (hole, i].
            boolean stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
            if (!stays) {
                keys[hole] = k;
                values[hole] = values[i];
                hole = i;
            }
        }
        keys[hole] = EMPTY;
        values[hole] = null;
    }

    /** Removes every value {@code drop} accepts. */
    @SuppressWarnings("unchecked")
    void removeIf(Predicate<V> drop) {
        java.util.List<Integer> doomed = new java.util.ArrayList<>();
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != EMPTY && drop.test((V) values[i])) {
                doomed.add(keys[i]);
            }
        }
        doomed.forEach(this::remove);
    }

    void clear() {
        alloc(8);
        size = 0;
    }
}
