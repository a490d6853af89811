package io.p2pnat.sim;

import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A map from int keys (port numbers, IPv4 addresses) to non-null values without boxing: open
 * addressing with linear probing and backward-shift deletion; a null value marks a free slot.
 * A NAT model looks its public ports up on every packet, and a realm its addresses; with a
 * {@code HashMap} each lookup chased a node and (for ports above 127) allocated an Integer.
 *
 * @param <V> the value type
 */
final class IntMap<V> {
    private int[] keys;
    private Object[] values;
    private int size;
    private int mask;
    private int shift;

    IntMap() {
        alloc(8);
    }

    private void alloc(int capacity) {
        keys = new int[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
        shift = 32 - Integer.numberOfTrailingZeros(capacity);
    }

    private int slot(int key) {
        return (key * 0x9E3779B1) >>> shift; // Fibonacci hashing: the top bits
    }

    int size() {
        return size;
    }

    @SuppressWarnings("unchecked")
    V get(int key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            Object v = values[i];
            if (v == null) {
                return null;
            }
            if (keys[i] == key) {
                return (V) v;
            }
        }
    }

    void put(int key, V value) {
        java.util.Objects.requireNonNull(value, "value");
        if ((size + 1) * 4 > keys.length * 3) {
            grow();
        }
        for (int i = slot(key); ; i = (i + 1) & mask) {
            if (values[i] == null) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
            if (keys[i] == key) {
                values[i] = value;
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
            if (oldValues[i] != null) {
                put(oldKeys[i], (V) oldValues[i]);
            }
        }
    }

    void remove(int key) {
        for (int i = slot(key); values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                deleteAt(i);
                return;
            }
        }
    }

    /** Knuth's algorithm R: shift later members of the probe run back over the hole. */
    private void deleteAt(int hole) {
        size--;
        int i = hole;
        while (true) {
            i = (i + 1) & mask;
            if (values[i] == null) {
                break;
            }
            int home = slot(keys[i]);
            // Move the entry into the hole unless its home lies cyclically in (hole, i].
            boolean stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
            if (!stays) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                hole = i;
            }
        }
        values[hole] = null;
    }

    /** Removes every value {@code drop} accepts. */
    @SuppressWarnings("unchecked")
    void removeIf(Predicate<V> drop) {
        int[] doomed = new int[16];
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            if (values[i] != null && drop.test((V) values[i])) {
                if (n == doomed.length) {
                    doomed = java.util.Arrays.copyOf(doomed, n * 2);
                }
                doomed[n++] = keys[i];
            }
        }
        for (int i = 0; i < n; i++) {
            remove(doomed[i]);
        }
    }

    @SuppressWarnings("unchecked")
    void forEach(Consumer<V> action) {
        for (Object v : values) {
            if (v != null) {
                action.accept((V) v);
            }
        }
    }

    void clear() {
        alloc(8);
        size = 0;
    }
}
