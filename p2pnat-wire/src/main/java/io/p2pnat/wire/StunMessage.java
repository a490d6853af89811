package io.p2pnat.wire;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A STUN message, RFC 8489 section 5: method, class, 96-bit transaction ID and an ordered list
 * of attributes. Immutable; built with {@link #builder}, parsed with {@link #decode}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0 0|     STUN Message Type     |         Message Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Magic Cookie                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Transaction ID (96 bits)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are never added by hand: the
 * {@code encode} variants compute them (sections 14.5-14.7). A decoded message lists them among
 * its {@link #attributes()} (a listed FINGERPRINT has been verified); {@code encode} skips them
 * and computes fresh ones if asked.
 *
 * <p>Accessors never throw on a decoded message: the decoder validated the values of known
 * types, and an accessor that finds a value it cannot read returns empty.
 */
public final class StunMessage {
  /** RFC 8489 section 6: "The Magic Cookie field MUST contain the fixed value 0x2112A442". */
  public static final int MAGIC_COOKIE = 0x2112A442;
  /** RFC 8489 section 6: the header is 20 bytes. */
  public static final int HEADER_LENGTH = 20;
  /** The largest message length field: 16 bits, a multiple of 4. */
  public static final int MAX_BODY_LENGTH = 0xFFFC;

  private final int method;
  private final StunClass cls;
  private final TransactionId id;
  private final List<StunAttribute> attributes;
  /** The decoded bytes, or null for a built message. */
  private final byte[] raw;
  private final int miOffset;
  private final int mi256Offset;

  StunMessage(int method, StunClass cls, TransactionId id, List<StunAttribute> attributes,
      byte[] raw, int miOffset, int mi256Offset) {
    this.method = method;
    this.cls = cls;
    this.id = id;
    this.attributes = List.copyOf(attributes);
    this.raw = raw;
    this.miOffset = miOffset;
    this.mi256Offset = mi256Offset;
  }

  /**
   * Starts a message.
   *
   * @param method 12-bit method, 0-0xFFF, e.g. {@link StunMethod#BINDING}
   * @param cls    the message class
   * @param id     the transaction ID
   * @return a builder with no attributes yet
   * @throws IllegalArgumentException if the method does not fit 12 bits
   */
  public static Builder builder(int method, StunClass cls, TransactionId id) {
    return new Builder(method, cls, id);
  }

  /** {@return the 12-bit method} */
  public int method() {
    return method;
  }

  /** {@return request, indication, success or error response} */
  public StunClass messageClass() {
    return cls;
  }

  /** {@return the 96-bit transaction ID (RFC 8489 section 6)} */
  public TransactionId transactionId() {
    return id;
  }

  /** {@return the attributes in wire order (unmodifiable)} */
  public List<StunAttribute> attributes() {
    return attributes;
  }

  // ---- encoding

  /** {@return the wire bytes, with neither integrity nor fingerprint} */
  public byte[] encode() {
    return StunEncoder.encode(this, null, StunEncoder.Mac.NONE, false);
  }

  /**
   * The wire bytes, with MESSAGE-INTEGRITY (RFC 8489 section 14.5, HMAC-SHA1 over the message
   * with the length field covering the attribute) when {@code integrityKey} is non-null, then
   * FINGERPRINT (section 14.7: CRC-32 XOR 0x5354554e) when {@code fingerprint}.
   *
   * @param integrityKey {@link #shortTermKey} or {@link #longTermKey}, or null for none
   * @param fingerprint  whether to add FINGERPRINT
   * @return the wire bytes
   * @throws IllegalArgumentException if the added attributes overflow the 16-bit length
   */
  public byte[] encode(byte[] integrityKey, boolean fingerprint) {
    return StunEncoder.encode(this, integrityKey,
        integrityKey == null ? StunEncoder.Mac.NONE : StunEncoder.Mac.SHA1, fingerprint);
  }

  /**
   * Like {@link #encode(byte[], boolean)} with MESSAGE-INTEGRITY-SHA256 (RFC 8489 section 14.6,
   * HMAC-SHA256, all 32 bytes) instead of MESSAGE-INTEGRITY.
   *
   * @param integrityKey {@link #shortTermKey} or {@link #longTermKey}, or null for none
   * @param fingerprint  whether to add FINGERPRINT
   * @return the wire bytes
   * @throws IllegalArgumentException if the added attributes overflow the 16-bit length
   */
  public byte[] encodeSha256(byte[] integrityKey, boolean fingerprint) {
    return StunEncoder.encode(this, integrityKey,
        integrityKey == null ? StunEncoder.Mac.NONE : StunEncoder.Mac.SHA256, fingerprint);
  }

  // ---- decoding

  /**
   * Parses exactly {@code buf[off, off+len)} as one STUN message (see {@link StunDecoder} for
   * the checks: RFC 8489 sections 6, 14, 14.5-14.7). Keeps a copy of the bytes for
   * {@link #checkIntegrity}.
   *
   * @param buf the bytes
   * @param off where the message starts
   * @param len its length
   * @return the message
   * @throws StunParseException for any malformed input; no other exception, whatever the bytes
   */
  public static StunMessage decode(byte[] buf, int off, int len) throws StunParseException {
    return StunDecoder.decode(buf, off, len);
  }

  /**
   * {@link #decode(byte[], int, int)} over the whole array.
   *
   * @param buf the bytes
   * @return the message
   * @throws StunParseException for any malformed input; no other exception, whatever the bytes
   */
  public static StunMessage decode(byte[] buf) throws StunParseException {
    return StunDecoder.decode(buf, 0, buf == null ? 0 : buf.length);
  }

  /**
   * A cheap demultiplexing test (RFC 7983 section 7, RFC 8489 section 6): at least 20 bytes, the
   * first two bits zero and the magic cookie in place. Never throws.
   *
   * @param buf the bytes
   * @param off where the datagram starts
   * @param len its length
   * @return true if it may be STUN
   */
  public static boolean looksLikeStun(byte[] buf, int off, int len) {
    return StunDecoder.looksLikeStun(buf, off, len);
  }

  // ---- accessors

  /**
   * {@return true if an attribute of this type is present}
   *
   * @param type the attribute type
   */
  public boolean has(int type) {
    return first(type) != null;
  }

  /**
   * {@return a copy of the first value of this type; empty if absent}
   *
   * @param type the attribute type
   */
  public Optional<byte[]> bytes(int type) {
    StunAttribute a = first(type);
    return a == null ? Optional.empty() : Optional.of(a.value());
  }

  /**
   * {@return the first value of this type as strict UTF-8; empty if absent or not UTF-8}
   *
   * @param type the attribute type
   */
  public Optional<String> string(int type) {
    StunAttribute a = first(type);
    return a == null ? Optional.empty()
        : Optional.ofNullable(AttributeValues.utf8(a.rawValue(), 0, a.length()));
  }

  /**
   * {@return the first value of this type as an XOR-encoded address (RFC 8489 section 14.2);
   * empty if absent or malformed}
   *
   * @param type the attribute type
   */
  public Optional<InetSocketAddress> xorAddress(int type) {
    StunAttribute a = first(type);
    return a == null ? Optional.empty()
        : Optional.ofNullable(Addresses.decodeXor(a.rawValue(), id));
  }

  /**
   * {@return every well-formed XOR-encoded address of this type, in order (e.g. PRIVATE-ENDPOINT)}
   *
   * @param type the attribute type
   */
  public List<InetSocketAddress> xorAddresses(int type) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (StunAttribute a : attributes) {
      if (a.type() == type) {
        InetSocketAddress addr = Addresses.decodeXor(a.rawValue(), id);
        if (addr != null) {
          out.add(addr);
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * {@return the first value of this type as a plain address (RFC 8489 section 14.1 encoding);
   * empty if absent or malformed}
   *
   * @param type the attribute type
   */
  public Optional<InetSocketAddress> address(int type) {
    StunAttribute a = first(type);
    return a == null ? Optional.empty() : Optional.ofNullable(Addresses.decodePlain(a.rawValue()));
  }

  /**
   * {@return the first value of this type as a 32-bit unsigned integer; empty unless 4 bytes long}
   *
   * @param type the attribute type
   */
  public OptionalLong uint32(int type) {
    StunAttribute a = first(type);
    return a == null || a.length() != 4 ? OptionalLong.empty()
        : OptionalLong.of(AttributeValues.readUint32(a.rawValue()));
  }

  /**
   * {@return the first value of this type as one unsigned byte; empty unless 1 byte long}
   *
   * @param type the attribute type
   */
  public OptionalInt byteValue(int type) {
    StunAttribute a = first(type);
    return a == null || a.length() != 1 ? OptionalInt.empty()
        : OptionalInt.of(a.rawValue()[0] & 0xFF);
  }

  /** {@return ERROR-CODE (RFC 8489 section 14.8) as class * 100 + number, e.g. 401} */
  public OptionalInt errorCode() {
    StunAttribute a = first(StunAttributeType.ERROR_CODE);
    int code = a == null ? -1 : AttributeValues.readErrorCode(a.rawValue());
    return code < 0 ? OptionalInt.empty() : OptionalInt.of(code);
  }

  /** {@return the ERROR-CODE reason phrase} */
  public Optional<String> errorReason() {
    StunAttribute a = first(StunAttributeType.ERROR_CODE);
    if (a == null || AttributeValues.readErrorCode(a.rawValue()) < 0) {
      return Optional.empty();
    }
    return Optional.ofNullable(AttributeValues.utf8(a.rawValue(), 4, a.length() - 4));
  }

  /** {@return the types listed in UNKNOWN-ATTRIBUTES (RFC 8489 section 14.9); empty if absent} */
  public int[] unknownAttributes() {
    StunAttribute a = first(StunAttributeType.UNKNOWN_ATTRIBUTES);
    return a == null ? new int[0] : AttributeValues.readUnknownAttributes(a.rawValue());
  }

  /**
   * Comprehension-required types (below 0x8000) this codec does not know, in order, without
   * repeats: what a server lists in a 420 response (RFC 8489 section 6.3.1.1).
   *
   * @return the types, empty if none
   */
  public int[] unknownComprehensionRequired() {
    return attributes.stream()
        .mapToInt(StunAttribute::type)
        .filter(t -> StunAttributeType.isComprehensionRequired(t) && !StunAttributeType.isKnown(t))
        .distinct()
        .toArray();
  }

  /**
   * {@return whether this message was decoded from exactly {@code bytes} (false for a built message)}
   *
   * @param bytes the bytes to compare with
   */
  public boolean hasBytes(byte[] bytes) {
    return raw != null && Arrays.equals(raw, bytes);
  }

  /** {@return a copy of the bytes this message was decoded from; empty for a built message} */
  public Optional<byte[]> rawBytes() {
    return raw == null ? Optional.empty() : Optional.of(raw.clone());
  }

  private StunAttribute first(int type) {
    for (StunAttribute a : attributes) {
      if (a.type() == type) {
        return a;
      }
    }
    return null;
  }

  // ---- integrity (RFC 8489 sections 9.1.3, 9.2.4, 14.5, 14.6)

  /**
   * True only if this message was decoded, carries MESSAGE-INTEGRITY and/or
   * MESSAGE-INTEGRITY-SHA256, and every one it carries matches {@code key} (constant-time
   * comparison). Built messages, and a null key, return false.
   *
   * @param key {@link #shortTermKey} or {@link #longTermKey}
   * @return true if every integrity attribute matches
   */
  public boolean checkIntegrity(byte[] key) {
    if (key == null || raw == null || (miOffset < 0 && mi256Offset < 0)) {
      return false;
    }
    return (miOffset < 0 || Integrity.verify(raw, miOffset, key, false))
        && (mi256Offset < 0 || Integrity.verify(raw, mi256Offset, key, true));
  }

  /**
   * True only if this decoded message carries MESSAGE-INTEGRITY-SHA256 matching {@code key}
   * (whatever its MESSAGE-INTEGRITY); false for a null key.
   *
   * @param key {@link #shortTermKey} or {@link #longTermKey}
   * @return true if MESSAGE-INTEGRITY-SHA256 is present and matches
   */
  public boolean checkIntegritySha256(byte[] key) {
    return key != null && raw != null && mi256Offset >= 0 && Integrity.verify(raw, mi256Offset, key, true);
  }

  /**
   * The short-term credential key, RFC 8489 section 9.1.1: {@code key = OpaqueString(password)}
   * as UTF-8 (prepared as described in {@link Sasl}).
   *
   * @param password the password
   * @return the key
   */
  public static byte[] shortTermKey(String password) {
    return Sasl.prepare(Objects.requireNonNull(password, "password")).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The long-term credential key for MESSAGE-INTEGRITY, RFC 8489 section 9.2.2:
   * {@code key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))}, with the
   * SASLprep-compatible preparation of {@link Sasl} applied to all three (the username should
   * already be prepared, so this is idempotent), as the RFC 5769 section 2.4 vector needs.
   *
   * @param username the username
   * @param realm    the realm
   * @param password the password
   * @return the 16-byte key
   */
  public static byte[] longTermKey(String username, String realm, String password) {
    String s = Sasl.prepare(Objects.requireNonNull(username, "username")) + ":"
        + Sasl.prepare(Objects.requireNonNull(realm, "realm")) + ":"
        + Sasl.prepare(Objects.requireNonNull(password, "password"));
    return Integrity.md5(s.getBytes(StandardCharsets.UTF_8));
  }

  // ---- value semantics

  /** Equal if method, class, transaction ID and attributes (in order) are equal. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof StunMessage)) {
      return false;
    }
    StunMessage m = (StunMessage) o;
    return method == m.method && cls == m.cls && id.equals(m.id) && attributes.equals(m.attributes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(method, cls, id, attributes);
  }

  /** E.g. {@code BINDING SUCCESS_RESPONSE b7e7a701bc34d686fa87dfae [SOFTWARE, FINGERPRINT]}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append(StunMethod.name(method)).append(' ').append(cls).append(' ').append(id).append(" [");
    for (int i = 0; i < attributes.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(StunAttributeType.name(attributes.get(i).type()));
    }
    return sb.append(']').toString();
  }

  /**
   * Collects attributes for a {@link StunMessage}. Every value is checked when added, with the
   * same rules the decoder applies (RFC 8489 section 14; e.g. USERNAME at most 513 bytes of
   * UTF-8, ERROR-CODE 300-699); violations throw {@link IllegalArgumentException}.
   */
  public static final class Builder {
    private final int method;
    private final StunClass cls;
    private final TransactionId id;
    private final List<StunAttribute> attributes = new ArrayList<>();
    private int bodyLength;

    private Builder(int method, StunClass cls, TransactionId id) {
      if (method < 0 || method > StunMethod.MAX) {
        throw new IllegalArgumentException("method must fit 12 bits: " + method);
      }
      this.method = method;
      this.cls = Objects.requireNonNull(cls, "cls");
      this.id = Objects.requireNonNull(id, "id");
    }

    /**
     * Adds an attribute with a raw (unpadded) value, copied.
     *
     * @param type  the attribute type
     * @param value the value
     * @return this builder
     * @throws IllegalArgumentException for MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT (the
     *     encoder computes those), a value breaking its type's rules, or a message over 64 KiB
     */
    public Builder addAttribute(int type, byte[] value) {
      Objects.requireNonNull(value, "value");
      if (StunEncoder.isComputed(type)) {
        throw new IllegalArgumentException(StunAttributeType.name(type)
            + " is computed by encode(...); do not add it");
      }
      return add(type, value.clone());
    }

    /**
     * Adds a UTF-8 string value (USERNAME, REALM, NONCE, SOFTWARE, PEER-ID, ...).
     *
     * @param type the attribute type
     * @param utf8 the string
     * @return this builder
     */
    public Builder addString(int type, String utf8) {
      return addAttribute(type, Objects.requireNonNull(utf8, "utf8").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Adds an XOR-encoded address (RFC 8489 section 14.2), IPv4 or IPv6.
     *
     * @param type the attribute type
     * @param addr the address
     * @return this builder
     */
    public Builder addXorAddress(int type, InetSocketAddress addr) {
      return addAttribute(type, Addresses.encodeXor(addr, id));
    }

    /**
     * Adds a plain address (RFC 8489 section 14.1 MAPPED-ADDRESS encoding).
     *
     * @param type the attribute type
     * @param addr the address
     * @return this builder
     */
    public Builder addAddress(int type, InetSocketAddress addr) {
      return addAttribute(type, Addresses.encodePlain(addr));
    }

    /**
     * Adds ERROR-CODE (RFC 8489 section 14.8).
     *
     * @param code 300-699
     * @param reason UTF-8 reason phrase of at most 763 bytes; null for none
     * @return this builder
     */
    public Builder addErrorCode(int code, String reason) {
      if (code < 300 || code > 699) {
        throw new IllegalArgumentException("error code must be 300-699: " + code);
      }
      return addAttribute(StunAttributeType.ERROR_CODE,
          AttributeValues.errorCode(code, reason == null ? "" : reason));
    }

    /**
     * Adds UNKNOWN-ATTRIBUTES (RFC 8489 section 14.9) listing 16-bit types.
     *
     * @param types the types
     * @return this builder
     */
    public Builder addUnknownAttributes(int... types) {
      for (int t : types) {
        if (t < 0 || t > 0xFFFF) {
          throw new IllegalArgumentException("attribute type out of range: " + t);
        }
      }
      return addAttribute(StunAttributeType.UNKNOWN_ATTRIBUTES, AttributeValues.unknownAttributes(types));
    }

    /**
     * Adds a 32-bit unsigned value (PRIORITY, LIFETIME-SECONDS, ...).
     *
     * @param type  the attribute type
     * @param value 0 to 2^32 - 1
     * @return this builder
     */
    public Builder addUint32(int type, long value) {
      if (value < 0 || value > 0xFFFFFFFFL) {
        throw new IllegalArgumentException("not a 32-bit unsigned value: " + value);
      }
      return addAttribute(type, AttributeValues.uint32(value));
    }

    /**
     * Adds a one-byte value (ROLE), padded to 4 bytes on the wire.
     *
     * @param type  the attribute type
     * @param value 0-255
     * @return this builder
     */
    public Builder addByte(int type, int value) {
      if (value < 0 || value > 0xFF) {
        throw new IllegalArgumentException("not a byte value: " + value);
      }
      return addAttribute(type, new byte[] {(byte) value});
    }

    private Builder add(int type, byte[] owned) {
      StunAttribute attr = StunAttribute.owning(type, owned); // checks the type range
      String problem = AttributeValues.check(type, owned);
      if (problem != null) {
        throw new IllegalArgumentException(StunAttributeType.name(type) + ": " + problem);
      }
      int grown = bodyLength + 4 + StunEncoder.padded(owned.length);
      if (grown > MAX_BODY_LENGTH) {
        throw new IllegalArgumentException("message too large: " + grown + " bytes of attributes");
      }
      bodyLength = grown;
      attributes.add(attr);
      return this;
    }

    /** {@return the message} The builder stays usable. */
    public StunMessage build() {
      return new StunMessage(method, cls, id, attributes, null, -1, -1);
    }
  }
}
