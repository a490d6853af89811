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
 * <p>Not modelled yet: TCP (simultaneous open through the NAT models for {@code TcpPunch}),
 * NAT address pooling (several public IPs), per-protocol port counters, ICMP.
 */
package io.p2pnat.sim;
