package io.p2pnat.sim;

import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A map from int keys (port numbers, IPv4 addresses) to non-null values without boxing: open
 * addressing with linear probing and backward-shift deletion. A free slot holds the key
 * {@link Integer#MIN_VALUE} (that key itself lives in a field), so a lookup that misses, the
 * common case for a probe at a NAT, reads the key array only.
 * A NAT model looks its public ports up on every packet, and a realm its addresses; with a
 * {@code HashMap} each lookup chased a node and (for ports above 127) allocated an Integer.
 *
 * @param <V> the value type
 */
final class IntMap<V> {
    private static final int FREE = Integer.MIN_VALUE;
    private int[] keys;
    private Object[] values;
    /** The value of key {@link #FREE}, which cannot sit in the table. */
    private Object freeKeyValue;
    private int size;
    private int mask;
    private int shift;

    IntMap() {
        alloc(8);
    }

    private void alloc(int capacity) {
        keys = new int[capacity];
        java.util.Arrays.fill(keys, FREE);
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
        if (key == FREE) {
            return (V) freeKeyValue;
        }
        for (int i = slot(key); ; i = (i + 1) & mask) {
            int k = keys[i];
            if (k == key) {
                return (V) values[i];
            }
            if (k == FREE) {
                return null;
            }
        }
    }

    void put(int key, V value) {
        java.util.Objects.requireNonNull(value, "value");
        if (key == FREE) {
            size += freeKeyValue == null ? 1 : 0;
            freeKeyValue = value;
            return;
        }
        if ((size + 1) * 4 > keys.length * 3) {
            grow();
        }
        for (int i = slot(key); ; i = (i + 1) & mask) {
            if (keys[i] == FREE) {
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
        size = freeKeyValue == null ? 0 : 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != FREE) {
                put(oldKeys[i], (V) oldValues[i]);
            }
        }
    }

    void remove(int key) {
        if (key == FREE) {
            size -= freeKeyValue == null ? 0 : 1;
            freeKeyValue = null;
            return;
        }
        for (int i = slot(key); keys[i] != FREE; i = (i + 1) & mask) {
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
            if (keys[i] == FREE) {
                break;
            }
            if (!staysPut(hole, i, slot(keys[i]))) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                hole = i;
            }
        }
        keys[hole] = FREE;
        values[hole] = null;
    }

    /**
     * Whether the entry at {@code i}, whose home slot is {@code home}, must stay when slot
     * {@code hole} empties (algorithm R): so when its home lies cyclically in (hole, i].
     */
    static boolean staysPut(int hole, int i, int home) {
        return hole <= i ? hole < home && home <= i : hole < home || home <= i;
    }

    /** Removes every value {@code drop} accepts. */
    @SuppressWarnings("unchecked")
    void removeIf(Predicate<V> drop) {
        int[] doomed = new int[16];
        int n = 0;
        if (freeKeyValue != null && drop.test((V) freeKeyValue)) {
            remove(FREE);
        }
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != FREE && drop.test((V) values[i])) {
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
        if (freeKeyValue != null) {
            action.accept((V) freeKeyValue);
        }
        for (Object v : values) {
            if (v != null) {
                action.accept((V) v);
            }
        }
    }

    void clear() {
        alloc(8);
        freeKeyValue = null;
        size = 0;
    }
}
