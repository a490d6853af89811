package io.p2pnat.server;

/** A snapshot of the server's counters. */
public record ServerStats(long packetsIn, long bytesIn, long packetsOut, long bytesOut, long dropped,
                          long registrations, long introductions, long bindings,
                          int liveRegistrations, int pendingIntroductions,
                          long relayedPackets, long relayedBytes, int relaySessions) {
}
