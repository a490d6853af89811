package io.p2pnat.peer;

/** Converts between the API's enums and their core twins, which have the same constants. */
final class Twins {
    private Twins() {
    }

    /** The constant of {@code type} named like {@code other}. */
    static <E extends Enum<E>> E twin(Class<E> type, Enum<?> other) {
        return Enum.valueOf(type, other.name());
    }
}
