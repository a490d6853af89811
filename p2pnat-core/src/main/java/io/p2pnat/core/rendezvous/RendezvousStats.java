package io.p2pnat.core.rendezvous;

/** Counters of the rendezvous service, for operators and tests. Read on the service's thread. */
public final class RendezvousStats {
    long packetsIn;
    long bytesIn;
    long packetsOut;
    long bytesOut;
    long dropped;
    long registrations;
    long introductions;
    long bindings;
    long relayedPackets;
    long relayedBytes;
    long tcpRegistrations;
    long relayedStreams;
    long identitiesNotKept;
    long repairs;

    public long packetsIn() { return packetsIn; }
    public long bytesIn() { return bytesIn; }
    public long packetsOut() { return packetsOut; }
    public long bytesOut() { return bytesOut; }
    /** Packets dropped silently: not STUN, malformed, unauthenticated or unknown. */
    public long dropped() { return dropped; }
    /** Successful REGISTERs. */
    public long registrations() { return registrations; }
    /** Introductions made (CONNECT answered with the target's endpoints). */
    public long introductions() { return introductions; }
    /** Plain STUN Binding requests answered. */
    public long bindings() { return bindings; }
    /** Frames forwarded by the native relay. */
    public long relayedPackets() { return relayedPackets; }
    public long relayedBytes() { return relayedBytes; }
    /** Successful REGISTERs over TCP. */
    public long tcpRegistrations() { return tcpRegistrations; }
    /** Stream relay sessions started (two RELAY-ATTACHes spliced). */
    public long relayedStreams() { return relayedStreams; }
    /** Registrations refused because the identity store did not keep a new binding (failed or full). */
    public long identitiesNotKept() { return identitiesNotKept; }
    /** REPAIR requests answered: a session that lost its path asked for the peers' endpoints again. */
    public long repairs() { return repairs; }

    @Override
    public String toString() {
        return "in=" + packetsIn + "/" + bytesIn + "B out=" + packetsOut + "/" + bytesOut + "B dropped=" + dropped
                + " registrations=" + registrations + " introductions=" + introductions + " bindings=" + bindings + " relayed=" + relayedPackets + "/" + relayedBytes + "B"
                + " tcpRegistrations=" + tcpRegistrations + " relayedStreams=" + relayedStreams
                + " repairs=" + repairs;
    }
}
