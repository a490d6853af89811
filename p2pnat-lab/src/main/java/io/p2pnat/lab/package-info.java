/**
 * A real NAT lab: RFC 5128's hole-punching topologies built from Linux network namespaces,
 * bridges, veth pairs and nftables, with RFC 5128's own addresses (docs/background.md, "Lab conventions").
 *
 * <p>Entry point: {@link io.p2pnat.lab.Lab#create(io.p2pnat.lab.Scenario)}. Every segment is a
 * bridge in the lab's switch namespace; every host has its own namespace. End hosts have one
 * interface {@code eth0}; a NAT has {@code wan0} (public side, where its counters count) and
 * {@code lan0} (inside).
 *
 * <pre>
 * FIGURE_3  (RFC 5128 §3.3.1, peers behind different NATs)
 *
 *                     S 192.0.2.128 (rendezvous :20001)
 *                           |
 *        +------------ 192.0.2.0/24 "Internet" -------------+
 *        |                                                  |
 *   NAT A 192.0.2.1                                   NAT B 192.0.2.254
 *   inside 10.0.0.254/24                              inside 10.1.1.254/24
 *        |                                                  |
 *   client A 10.0.0.1                                 client B 10.1.1.3
 *
 * FIGURE_4  (RFC 5128 §3.3.2, peers behind the same NAT)
 *
 *   S 192.0.2.128 --- 192.0.2.0/24 --- NAT A 192.0.2.1 (hairpins by default)
 *                                      inside 10.0.0.254/8
 *                                           |
 *                          +------ 10.0.0.0/8 LAN ------+
 *                     client A 10.0.0.1          client B 10.1.1.3
 *
 * FIGURE_5  (RFC 5128 §3.3.3, peers behind multiple levels of NAT)
 *
 *   S 192.0.2.128 --- 192.0.2.0/24 --- NAT X 192.0.2.1 (ISP NAT, hairpins by default)
 *                                      inside 192.168.1.254/24
 *                                           |
 *                   +--------- 192.168.1.0/24 ISP network ---------+
 *            NAT A 192.168.1.1                                NAT B 192.168.1.2
 *            inside 10.0.0.254/24                             inside 10.1.1.254/24
 *                   |                                               |
 *            client A 10.0.0.1                                client B 10.1.1.3
 *
 * FIGURE_1  (RFC 5128 §3.1, relaying)
 *
 *   the addresses of FIGURE_3, but NAT A and NAT B are symmetric: address-and-port-dependent
 *   mapping with a random port per destination, so hole punching fails and peers relay via S
 *
 * FIGURE_2  (RFC 5128 §3.2, connection reversal)
 *
 *                     S 192.0.2.128
 *                           |
 *        +------------ 192.0.2.0/24 "Internet" -------------+
 *        |                                                  |
 *   NAT A 192.0.2.1                                   client B 192.0.2.77 (no NAT)
 *   inside 10.0.0.254/24
 *        |
 *   client A 10.0.0.1
 * </pre>
 *
 * <p>S also holds 192.0.2.129 on the same interface in every scenario, so a test can observe a
 * NAT from two remote IP addresses (RFC 5780 style); a socket must be bound to that address
 * explicitly to send from it.
 *
 * <p>The Internet segment (192.0.2.0/24) can be given a realistic one-way delay with
 * {@link io.p2pnat.lab.LabOptions#withInternetDelay} (the kernel has no netem: {@code tools/nfq-delay}
 * holds the bridged packets from an iptables NFQUEUE rule in the switch namespace); the other
 * segments stay sub-millisecond. {@link io.p2pnat.lab.LabOptions#withInternetLoss} drops a share
 * of its packets (an nft rule on the bridge), each wire-sized packet on its own.
 *
 * <p>Each NAT of figures 2 to 5 is RFC 4787's well-behaved NAT unless
 * {@link io.p2pnat.lab.LabOptions} say otherwise (or {@link io.p2pnat.lab.Lab#setNatBehaviour}
 * changes it at runtime; {@link io.p2pnat.lab.LabNat} lists every behaviour available):
 * endpoint-independent, port-preserving mapping ({@code masquerade}), address-and-port-dependent
 * filtering (conntrack; unsolicited public-side packets dropped in forward and input), optional
 * hairpinning with the sender's public endpoint as source (RFC 4787 REQ-9, REQ-9a). Hairpinning
 * works only for mappings the NAT has already seen traffic on, like most real NATs. When two
 * clients behind one NAT both use port 1234 (figures 4 and 5), the second mapping gets another
 * port (the kernel picks one); learn it from the rendezvous server, as RFC 5128 peers do.
 */
package io.p2pnat.lab;
