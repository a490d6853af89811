package io.p2pnat.wire;

/**
 * STUN method numbers (RFC 8489 section 5: 12-bit method, section 18.2 registry).
 *
 * <p>Besides Binding, the TURN methods (RFC 8656 section 17, RFC 6062 section 6.1) and the
 * p2pnat signaling methods live here. Ours sit at 0x0C1-0x0C5, an unassigned stretch of the
 * IETF-Review range; they are only ever exchanged between p2pnat peers and servers.
 */
public final class StunMethod {
  /** Binding, RFC 8489 section 18.2. */
  public static final int BINDING = 0x001;

  /** TURN Allocate, RFC 8656. */
  public static final int ALLOCATE = 0x003;
  /** TURN Refresh, RFC 8656. */
  public static final int REFRESH = 0x004;
  /** TURN Send (indication only), RFC 8656. */
  public static final int SEND = 0x006;
  /** TURN Data (indication only), RFC 8656. */
  public static final int DATA = 0x007;
  /** TURN CreatePermission, RFC 8656. */
  public static final int CREATE_PERMISSION = 0x008;
  /** TURN ChannelBind, RFC 8656. */
  public static final int CHANNEL_BIND = 0x009;
  /** TURN-TCP Connect, RFC 6062 (named so as not to clash with our {@link #CONNECT}). */
  public static final int TCP_CONNECT = 0x00A;
  /** TURN-TCP ConnectionBind, RFC 6062. */
  public static final int CONNECTION_BIND = 0x00B;
  /** TURN-TCP ConnectionAttempt, RFC 6062. */
  public static final int CONNECTION_ATTEMPT = 0x00C;

  /** p2pnat: a peer registers its endpoints with the rendezvous server. */
  public static final int REGISTER = 0x0C1;
  /** p2pnat: a peer asks the server to connect it to another peer. */
  public static final int CONNECT = 0x0C2;
  /** p2pnat: the server (or a connected peer) introduces two peers to each other. */
  public static final int INTRODUCE = 0x0C3;
  /** p2pnat: keeps a registration and its NAT mapping alive. */
  public static final int KEEPALIVE = 0x0C4;
  /** p2pnat: looks up a registered peer. */
  public static final int LOOKUP = 0x0C5;
  /** p2pnat: attach a TCP connection to the server's stream relay for an introduction. */
  public static final int RELAY_ATTACH = 0x0C6;
  /**
   * p2pnat: a peer whose session lost its path asks the server to exchange both peers' current
   * endpoints again (and keep the session's relay); the server tells the other peer the same way.
   */
  public static final int REPAIR = 0x0C7;

  /** Largest method number: methods are 12 bits (RFC 8489 section 5). */
  public static final int MAX = 0xFFF;

  private StunMethod() {}

  /**
   * A readable name for a method number, e.g. {@code "BINDING"}; unknown numbers print as
   * {@code "0x0AB"}.
   *
   * @param method the 12-bit method
   * @return its name
   */
  public static String name(int method) {
    switch (method) {
      case BINDING:
        return "BINDING";
      case ALLOCATE:
        return "ALLOCATE";
      case REFRESH:
        return "REFRESH";
      case SEND:
        return "SEND";
      case DATA:
        return "DATA";
      case CREATE_PERMISSION:
        return "CREATE-PERMISSION";
      case CHANNEL_BIND:
        return "CHANNEL-BIND";
      case TCP_CONNECT:
        return "TCP-CONNECT";
      case CONNECTION_BIND:
        return "CONNECTION-BIND";
      case CONNECTION_ATTEMPT:
        return "CONNECTION-ATTEMPT";
      case REGISTER:
        return "REGISTER";
      case CONNECT:
        return "CONNECT";
      case REPAIR:
        return "REPAIR";
      case INTRODUCE:
        return "INTRODUCE";
      case KEEPALIVE:
        return "KEEPALIVE";
      case LOOKUP:
        return "LOOKUP";
      case RELAY_ATTACH:
        return "RELAY-ATTACH";
      default:
        return String.format("0x%03X", method);
    }
  }
}
