/**
 * NAT behaviour discovery after RFC 5780, sans-I/O: the server side ({@link
 * io.p2pnat.core.discovery.BehaviorResponder}, four sockets: primary and alternate IP × primary and
 * alternate port, CHANGE-REQUEST, RESPONSE-ORIGIN, OTHER-ADDRESS) and the client side ({@link
 * io.p2pnat.core.discovery.NatCheck}: mapping, filtering, hairpinning, port allocation and
 * unsolicited-TCP tests, classified in RFC 4787's terms into a {@link
 * io.p2pnat.core.discovery.NatCheckResult}).
 *
 * <p>RFC 4787's terms are one vocabulary for all of p2pnat: {@link
 * io.p2pnat.core.discovery.MappingBehaviour}, {@link io.p2pnat.core.discovery.FilteringBehaviour}
 * and {@link io.p2pnat.core.discovery.PortAllocation} name what natcheck finds, what a peer measures
 * and reports to the server (their {@code code()} is the byte NAT-MAPPING, NAT-FILTERING and
 * NAT-ALLOCATION carry) and what the JSON prints (their {@code wireName()}).
 *
 * <p>Beyond RFC 5780, one p2pnat extension over TCP ({@link io.p2pnat.core.discovery.DiscoveryWire}):
 * a Binding request carrying TCP-PROBE asks the server to open a TCP connection to the requester's
 * mapped endpoint from its alternate address and to report whether the NAT let the SYN in, dropped
 * it or answered with a RST (RFC 5128 §3.4: a RST can poison TCP hole punching).
 */
package io.p2pnat.core.discovery;
