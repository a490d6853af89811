package io.p2pnat.wire;

import java.util.HashMap;
import java.util.Map;

/**
 * STUN attribute types (RFC 8489 section 14 and 18.3 registry; ICE RFC 8445 section 16.1; TURN
 * RFC 8656 section 18; NAT behaviour discovery RFC 5780 section 7) and the p2pnat attributes.
 *
 * <p>RFC 8489 section 14: types 0x0000-0x7FFF are comprehension-required, 0x8000-0xFFFF
 * comprehension-optional. The p2pnat attributes use 0xC001-0xC00A, inside the
 * comprehension-optional range, so a foreign STUN agent may ignore them.
 */
public final class StunAttributeType {
  /** RFC 8489 section 14.1: plain (non-XOR) transport address. */
  public static final int MAPPED_ADDRESS = 0x0001;
  /** RFC 8489 section 14.3: UTF-8, at most 513 bytes here (see {@link StunMessage}). */
  public static final int USERNAME = 0x0006;
  /** RFC 8489 section 14.5: HMAC-SHA1, 20 bytes. */
  public static final int MESSAGE_INTEGRITY = 0x0008;
  /** RFC 8489 section 14.8: class, number, reason phrase. */
  public static final int ERROR_CODE = 0x0009;
  /** RFC 8489 section 14.9: list of 16-bit attribute types. */
  public static final int UNKNOWN_ATTRIBUTES = 0x000A;
  /** RFC 8489 section 14.10. */
  public static final int REALM = 0x0014;
  /** RFC 8489 section 14.10. */
  public static final int NONCE = 0x0015;
  /** RFC 8489 section 14.6: HMAC-SHA256, 16 to 32 bytes. */
  public static final int MESSAGE_INTEGRITY_SHA256 = 0x001C;
  /** RFC 8489 section 14.4: SHA-256 of username and realm, 32 bytes. */
  public static final int USERHASH = 0x001E;
  /** RFC 8489 section 14.2: XOR-encoded transport address. */
  public static final int XOR_MAPPED_ADDRESS = 0x0020;
  /** RFC 8445 section 16.1: 32-bit candidate priority. */
  public static final int PRIORITY = 0x0024;
  /** RFC 8445 section 16.1: empty flag. */
  public static final int USE_CANDIDATE = 0x0025;
  /** RFC 8489 section 14.14: UTF-8 description of the software. */
  public static final int SOFTWARE = 0x8022;
  /** RFC 8489 section 14.15: plain transport address. */
  public static final int ALTERNATE_SERVER = 0x8023;
  /** RFC 8489 section 14.7: CRC-32 of the message XOR 0x5354554e. */
  public static final int FINGERPRINT = 0x8028;
  /** RFC 8445 section 16.1: 64-bit tie-breaker. */
  public static final int ICE_CONTROLLED = 0x8029;
  /** RFC 8445 section 16.1: 64-bit tie-breaker. */
  public static final int ICE_CONTROLLING = 0x802A;

  /** RFC 5780 section 7.2: 32-bit flags. */
  public static final int CHANGE_REQUEST = 0x0003;
  /** RFC 5780 section 7.6: opaque padding (its content is meaningless). */
  public static final int PADDING = 0x0026;
  /** RFC 5780 section 7.5: 16-bit port and 16 reserved bits. */
  public static final int RESPONSE_PORT = 0x0027;
  /** RFC 5780 section 7.3: plain transport address. */
  public static final int RESPONSE_ORIGIN = 0x802B;
  /** RFC 5780 section 7.4: plain transport address. */
  public static final int OTHER_ADDRESS = 0x802C;

  /** RFC 8489 section 14.12: the password algorithm chosen by the client. */
  public static final int PASSWORD_ALGORITHM = 0x001D;
  /** RFC 8489 section 14.11: the password algorithms the server offers. */
  public static final int PASSWORD_ALGORITHMS = 0x8002;
  /** RFC 8489 section 14.16: the domain name of ALTERNATE-SERVER. */
  public static final int ALTERNATE_DOMAIN = 0x8003;

  /** RFC 8656 section 18.1: 16-bit channel number and 16 reserved bits. */
  public static final int CHANNEL_NUMBER = 0x000C;
  /** RFC 8656 section 18.2: 32-bit seconds. */
  public static final int LIFETIME = 0x000D;
  /** RFC 8656 section 18.3: XOR-encoded transport address. */
  public static final int XOR_PEER_ADDRESS = 0x0012;
  /** RFC 8656 section 18.4: opaque application data. */
  public static final int DATA = 0x0013;
  /** RFC 8656 section 18.5: XOR-encoded transport address. */
  public static final int XOR_RELAYED_ADDRESS = 0x0016;
  /** RFC 8656 section 18.6: family byte and 3 reserved bytes. */
  public static final int REQUESTED_ADDRESS_FAMILY = 0x0017;
  /** RFC 8656 section 18.7: one byte of flags. */
  public static final int EVEN_PORT = 0x0018;
  /** RFC 8656 section 18.8: protocol byte and 3 reserved bytes. */
  public static final int REQUESTED_TRANSPORT = 0x0019;
  /** RFC 8656 section 18.9: empty flag. */
  public static final int DONT_FRAGMENT = 0x001A;
  /** RFC 8656 section 18.10: 8-byte token. */
  public static final int RESERVATION_TOKEN = 0x0022;
  /** RFC 6062 section 6.2.1: 32-bit connection id. */
  public static final int CONNECTION_ID = 0x002A;

  /** p2pnat: the sender's peer id, UTF-8 (at most 513 bytes). */
  public static final int PEER_ID = 0xC001;
  /** p2pnat: the peer id asked for, UTF-8 (at most 513 bytes). */
  public static final int TARGET_ID = 0xC002;
  /** p2pnat: a private (host) endpoint, XOR-encoded like XOR-MAPPED-ADDRESS; may repeat. */
  public static final int PRIVATE_ENDPOINT = 0xC003;
  /** p2pnat: a public (server-reflexive) endpoint, XOR-encoded like XOR-MAPPED-ADDRESS. */
  public static final int PUBLIC_ENDPOINT = 0xC004;
  /** p2pnat: opaque cookie. */
  public static final int COOKIE = 0xC005;
  /** p2pnat: opaque session key material. */
  public static final int SESSION_KEY = 0xC006;
  /** p2pnat: opaque introduction id. */
  public static final int INTRO_ID = 0xC007;
  /** p2pnat: opaque introduction key. */
  public static final int INTRO_KEY = 0xC008;
  /** p2pnat: 32-bit unsigned lifetime in seconds. */
  public static final int LIFETIME_SECONDS = 0xC009;
  /** p2pnat: a one-byte role value (padded to 4 bytes on the wire). */
  public static final int ROLE = 0xC00A;
  /** p2pnat: the server's alternate port answering STUN Binding (32-bit unsigned). */
  public static final int ALT_PORT = 0xC00B;
  /** p2pnat: a peer's NAT mapping class (one byte: 0 unknown, 1 independent, 2 dependent). */
  public static final int NAT_MAPPING = 0xC00C;
  /** p2pnat: a peer's TCP public endpoint as the server saw it (XOR-encoded address). */
  public static final int TCP_PUBLIC_ENDPOINT = 0xC00D;
  /** p2pnat: a peer's TCP private endpoint as it sees it (XOR-encoded address, may repeat). */
  public static final int TCP_PRIVATE_ENDPOINT = 0xC00E;
  /** p2pnat: the transport asked for (one byte: 0 UDP, 1 TCP). */
  public static final int TRANSPORT = 0xC00F;
  /**
   * p2pnat: a peer's NAT port allocation (4 bytes: allocation 0 unknown, 1 preserving,
   * 2 sequential, 3 random; signed port delta; the last public port seen, 16 bits).
   */
  public static final int NAT_ALLOCATION = 0xC010;
  /** p2pnat: a peer's long-term identity public key (X25519, 32 bytes). */
  public static final int STATIC_KEY = 0xC011;
  /** p2pnat: proof of the identity key: HMAC-SHA256 under X25519(peer, server) over cookie and id. */
  public static final int KEY_PROOF = 0xC012;
  /** p2pnat: the server's X25519 key for identity proofs (32 bytes). */
  public static final int SERVER_KEY = 0xC013;
  /**
   * p2pnat: a peer's NAT filtering as it measured it (RFC 4787 §5, RFC 5780 §4.4), 1 byte: 0
   * unknown, 1 endpoint-independent, 2 address-dependent (or looser: told apart only with a
   * second server address), 3 address-and-port-dependent.
   */
  public static final int NAT_FILTERING = 0xC014;
  /**
   * p2pnat: a Noise handshake message riding on a connectivity check (the dialer's first
   * message in its checks, the listener's answer in its check responses), so that the secure
   * channel is up when the path is chosen instead of one peer round trip later.
   */
  public static final int NOISE_HANDSHAKE = 0xC015;

  private static final Map<Integer, String> NAMES = new HashMap<>();

  static {
    NAMES.put(MAPPED_ADDRESS, "MAPPED-ADDRESS");
    NAMES.put(USERNAME, "USERNAME");
    NAMES.put(MESSAGE_INTEGRITY, "MESSAGE-INTEGRITY");
    NAMES.put(ERROR_CODE, "ERROR-CODE");
    NAMES.put(UNKNOWN_ATTRIBUTES, "UNKNOWN-ATTRIBUTES");
    NAMES.put(REALM, "REALM");
    NAMES.put(NONCE, "NONCE");
    NAMES.put(MESSAGE_INTEGRITY_SHA256, "MESSAGE-INTEGRITY-SHA256");
    NAMES.put(USERHASH, "USERHASH");
    NAMES.put(XOR_MAPPED_ADDRESS, "XOR-MAPPED-ADDRESS");
    NAMES.put(PRIORITY, "PRIORITY");
    NAMES.put(USE_CANDIDATE, "USE-CANDIDATE");
    NAMES.put(SOFTWARE, "SOFTWARE");
    NAMES.put(ALTERNATE_SERVER, "ALTERNATE-SERVER");
    NAMES.put(FINGERPRINT, "FINGERPRINT");
    NAMES.put(ICE_CONTROLLED, "ICE-CONTROLLED");
    NAMES.put(ICE_CONTROLLING, "ICE-CONTROLLING");
    NAMES.put(CHANGE_REQUEST, "CHANGE-REQUEST");
    NAMES.put(PADDING, "PADDING");
    NAMES.put(RESPONSE_PORT, "RESPONSE-PORT");
    NAMES.put(PASSWORD_ALGORITHM, "PASSWORD-ALGORITHM");
    NAMES.put(PASSWORD_ALGORITHMS, "PASSWORD-ALGORITHMS");
    NAMES.put(ALTERNATE_DOMAIN, "ALTERNATE-DOMAIN");
    NAMES.put(RESPONSE_ORIGIN, "RESPONSE-ORIGIN");
    NAMES.put(OTHER_ADDRESS, "OTHER-ADDRESS");
    NAMES.put(CHANNEL_NUMBER, "CHANNEL-NUMBER");
    NAMES.put(LIFETIME, "LIFETIME");
    NAMES.put(XOR_PEER_ADDRESS, "XOR-PEER-ADDRESS");
    NAMES.put(DATA, "DATA");
    NAMES.put(XOR_RELAYED_ADDRESS, "XOR-RELAYED-ADDRESS");
    NAMES.put(REQUESTED_ADDRESS_FAMILY, "REQUESTED-ADDRESS-FAMILY");
    NAMES.put(EVEN_PORT, "EVEN-PORT");
    NAMES.put(REQUESTED_TRANSPORT, "REQUESTED-TRANSPORT");
    NAMES.put(DONT_FRAGMENT, "DONT-FRAGMENT");
    NAMES.put(RESERVATION_TOKEN, "RESERVATION-TOKEN");
    NAMES.put(CONNECTION_ID, "CONNECTION-ID");
    NAMES.put(PEER_ID, "PEER-ID");
    NAMES.put(TARGET_ID, "TARGET-ID");
    NAMES.put(PRIVATE_ENDPOINT, "PRIVATE-ENDPOINT");
    NAMES.put(PUBLIC_ENDPOINT, "PUBLIC-ENDPOINT");
    NAMES.put(COOKIE, "COOKIE");
    NAMES.put(SESSION_KEY, "SESSION-KEY");
    NAMES.put(INTRO_ID, "INTRO-ID");
    NAMES.put(INTRO_KEY, "INTRO-KEY");
    NAMES.put(LIFETIME_SECONDS, "LIFETIME-SECONDS");
    NAMES.put(ROLE, "ROLE");
    NAMES.put(ALT_PORT, "ALT-PORT");
    NAMES.put(NAT_MAPPING, "NAT-MAPPING");
    NAMES.put(TCP_PUBLIC_ENDPOINT, "TCP-PUBLIC-ENDPOINT");
    NAMES.put(TCP_PRIVATE_ENDPOINT, "TCP-PRIVATE-ENDPOINT");
    NAMES.put(TRANSPORT, "TRANSPORT");
    NAMES.put(NAT_ALLOCATION, "NAT-ALLOCATION");
    NAMES.put(STATIC_KEY, "STATIC-KEY");
    NAMES.put(KEY_PROOF, "KEY-PROOF");
    NAMES.put(SERVER_KEY, "SERVER-KEY");
    NAMES.put(NAT_FILTERING, "NAT-FILTERING");
    NAMES.put(NOISE_HANDSHAKE, "NOISE-HANDSHAKE");
  }

  private StunAttributeType() {}

  /**
   * A readable name for an attribute type, e.g. {@code "XOR-MAPPED-ADDRESS"}; unknown types
   * print as {@code "0xC00B"}.
   *
   * @param type the 16-bit attribute type
   * @return its name
   */
  public static String name(int type) {
    String name = NAMES.get(type);
    return name != null ? name : String.format("0x%04X", type);
  }

  /**
   * {@return true if this codec knows the type (it has a constant here)}
   *
   * @param type the 16-bit attribute type
   */
  public static boolean isKnown(int type) {
    return NAMES.containsKey(type);
  }

  /**
   * RFC 8489 section 14: types below 0x8000 are comprehension-required; an agent that does not
   * understand one must reject a request with 420 (Unknown Attribute).
   *
   * @param type the 16-bit attribute type
   * @return true if comprehension-required
   */
  public static boolean isComprehensionRequired(int type) {
    return type >= 0 && type < 0x8000;
  }
}
