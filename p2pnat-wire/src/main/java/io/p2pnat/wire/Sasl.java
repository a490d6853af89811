package io.p2pnat.wire;

import java.text.Normalizer;

/**
 * String preparation for STUN credentials.
 *
 * <p>RFC 8489 sections 9.1.1 and 9.2.2 process passwords, usernames and realms with the PRECIS
 * OpaqueString profile (RFC 8265); RFC 5389, which the RFC 5769 test vectors were made for, used
 * SASLprep (RFC 4013). The two agree on ASCII. The RFC 5769 long-term vector only verifies with
 * SASLprep's mappings (password "The&lt;U+00AD&gt;M&lt;U+00AA&gt;tr&lt;U+2168&gt;" must become
 * "TheMatrIX"), so this applies them: RFC 3454 table B.1 characters are mapped to nothing, C.1.2
 * non-ASCII spaces to U+0020, then Unicode NFKC. Unlike a full SASLprep it does not reject
 * prohibited or bidirectional characters: a key derivation only needs both sides to map the same
 * way.
 */
final class Sasl {
  private Sasl() {}

  /** Maps and NFKC-normalises {@code s}. */
  static String prepare(String s) {
    StringBuilder mapped = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (mapsToNothing(cp)) {
        continue;
      }
      mapped.appendCodePoint(isNonAsciiSpace(cp) ? ' ' : cp);
    }
    return Normalizer.normalize(mapped, Normalizer.Form.NFKC);
  }

  /** RFC 3454 table B.1, "commonly mapped to nothing". */
  private static boolean mapsToNothing(int cp) {
    switch (cp) {
      case 0x00AD:
      case 0x034F:
      case 0x1806:
      case 0x180B:
      case 0x180C:
      case 0x180D:
      case 0x200B:
      case 0x200C:
      case 0x200D:
      case 0x2060:
      case 0xFEFF:
        return true;
      default:
        return cp >= 0xFE00 && cp <= 0xFE0F;
    }
  }

  /** RFC 3454 table C.1.2, non-ASCII space characters. */
  private static boolean isNonAsciiSpace(int cp) {
    return cp == 0x00A0
        || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200B)
        || cp == 0x202F
        || cp == 0x205F
        || cp == 0x3000;
  }
}
