package io.p2pnat.sim;

import java.util.function.Consumer;

/**
 * A map keyed by a pair of longs (a NAT mapping's inside endpoint and destination, packed) to
 * non-null values: open addressing, linear probing, backward-shift deletion, a null value for a
 * free slot. It replaces a {@code HashMap} whose every lookup allocated a key record and chased
 * a node; a population run holds millions of mappings.
 *
 * @param <V> the value type
 */
final class PairMap<V> {
    private long[] first;
    private long[] second;
    private Object[] values;
    private int size;
    private int mask;
    private int shift;

    PairMap() {
        alloc(4);
    }

    private void alloc(int capacity) {
        first = new long[capacity];
        second = new long[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
    }

    private int slot(long a, long b) {
        long h = (a * 0x9E3779B97F4A7C15L) ^ (b * 0xC2B2AE3D27D4EB4FL);
        return (int) ((h ^ (h >>> 29)) * 0x9E3779B97F4A7C15L >>> shift);
    }

    int size() {
        return size;
    }

    @SuppressWarnings("unchecked")
    V get(long a, long b) {
        for (int i = slot(a, b); ; i = (i + 1) & mask) {
            Object v = values[i];
            if (v == null) {
                return null;
            }
            if (first[i] == a && second[i] == b) {
                return (V) v;
            }
        }
    }

    void put(long a, long b, V value) {
        java.util.Objects.requireNonNull(value, "value");
        if ((size + 1) * 3 > values.length * 2) {
            grow();
        }
        for (int i = slot(a, b); ; i = (i + 1) & mask) {
            if (values[i] == null) {
                first[i] = a;
                second[i] = b;
                values[i] = value;
                size++;
                return;
            }
            if (first[i] == a && second[i] == b) {
                values[i] = value;
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void grow() {
        long[] oldFirst = first;
        long[] oldSecond = second;
        Object[] oldValues = values;
        alloc(values.length * 2);
        size = 0;
        for (int i = 0; i < oldValues.length; i++) {
            if (oldValues[i] != null) {
                put(oldFirst[i], oldSecond[i], (V) oldValues[i]);
            }
        }
    }

    void remove(long a, long b) {
        for (int i = slot(a, b); values[i] != null; i = (i + 1) & mask) {
            if (first[i] == a && second[i] == b) {
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
            if (!IntMap.staysPut(hole, i, slot(first[i], second[i]))) {
                first[hole] = first[i];
                second[hole] = second[i];
                values[hole] = values[i];
                hole = i;
            }
        }
        values[hole] = null;
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
        alloc(4);
        size = 0;
    }
}
