/**
 * Message framing over TCP and TLS streams, sans-I/O: {@link io.p2pnat.core.stream.StreamFramer}
 * splits a byte stream into STUN messages (RFC 8489 §6.2.2) and, for TURN, ChannelData messages
 * (RFC 8656 §12.5), for the rendezvous server, the TURN server and client, and the peers' TCP
 * streams alike.
 */
package io.p2pnat.core.stream;
