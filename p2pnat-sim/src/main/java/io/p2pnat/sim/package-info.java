/**
 * The deterministic simulator: a virtual UDP network ({@link io.p2pnat.sim.SimNet}) of hosts and
 * NATs joined by links with latency, jitter, loss, duplication and reordering
 * ({@link io.p2pnat.sim.Link}), NATs modelled after RFC 4787 ({@link io.p2pnat.sim.NatConfig},
 * {@link io.p2pnat.sim.NatModel}: mapping, filtering, port allocation, hairpinning, mapping timeout,
 * port stealing), and an event queue on a virtual clock. Hosts drive the exact sans-I/O objects of
 * p2pnat-core: {@code PeerAgent} (with the extra sockets birthday punching asks for) and
 * {@code RendezvousService} (with its alternate port and second address for NAT classification);
 * there is no second implementation of any protocol here.
 *
 * <p>On top: {@link io.p2pnat.sim.PairRun} (one dial in RFC 5128 figure 3's topology, for the
 * NAT-type matrix and setup-time measurements) and {@link io.p2pnat.sim.Population} (many peers
 * with a {@link io.p2pnat.sim.Mix} of NAT types, behind {@code p2pnat sim}).
 *
 * <p>TCP: segments ({@link io.p2pnat.sim.TcpSegment}) take the same links and NATs; each NAT keeps
 * TCP mappings apart from UDP ones (same allocator, so a sequential NAT's counter is shared) and
 * drops an unsolicited SYN, or answers it with RST ({@link io.p2pnat.sim.NatConfig#tcpRst()}).
 * Hosts get a minimal stack ({@link io.p2pnat.sim.TcpStack}: listen + connect from the same port,
 * simultaneous open, RST, in-order bytes, go-back-N retransmission); {@link io.p2pnat.sim.TcpPeer}
 * drives the same core {@code TcpEngine} as p2pnat-peer's {@code TcpDriver},
 * {@link io.p2pnat.sim.ServerHost#withTcp()} the server's real stream sessions (TCP registration,
 * RELAY-ATTACH, splice); {@link io.p2pnat.sim.TcpPairRun} is one TCP dial of figure 3.
 *
 * <p>Not modelled yet: NAT address pooling (several public IPs), TCP conntrack timeouts per state,
 * TCP hairpinning beyond the UDP rules, ICMP.
 */
package io.p2pnat.sim;
