package io.p2pnat.server;

import io.p2pnat.core.turn.TurnService;
import io.p2pnat.core.turn.TurnStats;

/**
 * A snapshot of the TURN server's counters (see {@link TurnStats} for their meaning);
 * {@code streamDrops}: relayed data not written to a TCP client whose connection had fallen
 * behind (as a UDP datagram would be lost; answers to requests are always written);
 * {@code streamsRefused}: TCP connections closed at once because their address held too many;
 * {@code rateLimited}: answers to unauthenticated requests held back by the per-source rates.
 */
public record TurnServerStats(int allocations, long requests, long challenges, long staleNonces, long errors,
                              long amplificationDrops, long dropped, long permissionDrops,
                              long allocationsCreated, long allocationsDeleted, long allocationsExpired,
                              long toPeerPackets, long toPeerBytes, long toClientPackets, long toClientBytes,
                              long allocationsClosed, long streamDrops, long streamsRefused, long rateLimited) {
    static TurnServerStats of(TurnService service) {
        TurnStats s = service.stats();
        return new TurnServerStats(service.allocationCount(), s.requests(), s.challenges(), s.staleNonces(), s.errors(),
                s.amplificationDrops(), s.dropped(), s.permissionDrops(), s.allocationsCreated(), s.allocationsDeleted(),
                s.allocationsExpired(), s.toPeerPackets(), s.toPeerBytes(), s.toClientPackets(), s.toClientBytes(),
                s.allocationsClosed(), 0, 0, s.rateLimited());
    }

    /** With the driver's counts: data not written to TCP clients that did not keep up, connections refused. */
    TurnServerStats withStreams(long drops, long refused) {
        return new TurnServerStats(allocations, requests, challenges, staleNonces, errors, amplificationDrops, dropped,
                permissionDrops, allocationsCreated, allocationsDeleted, allocationsExpired, toPeerPackets, toPeerBytes,
                toClientPackets, toClientBytes, allocationsClosed, drops, refused, rateLimited);
    }
}
