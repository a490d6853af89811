package io.p2pnat.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Our digest-based HMAC gives exactly the JDK's {@code Mac} for every key length and range. */
class IntegrityTest {
  @Test
  void hmacMatchesTheJdkForAllKeyLengths() throws Exception {
    Random r = new Random(5769);
    for (int keyLen : new int[] {0, 1, 16, 20, 63, 64, 65, 100, 200}) {
      for (int n = 0; n < 20; n++) {
        byte[] key = new byte[keyLen];
        r.nextBytes(key);
        byte[] data = new byte[r.nextInt(300) + 8];
        r.nextBytes(data);
        int off = r.nextInt(4);
        int len = data.length - off - r.nextInt(4);
        assertArrayEquals(jdk("HmacSHA1", key, data, off, len), Integrity.hmacSha1(key, data, off, len),
            "HMAC-SHA1, key of " + keyLen + " bytes");
        assertArrayEquals(jdk("HmacSHA256", key, data, off, len), Integrity.hmacSha256(key, data, off, len),
            "HMAC-SHA256, key of " + keyLen + " bytes");
      }
    }
  }

  /** The pads are kept for a repeated key: a key reused, or one array changed in place, still MACs right. */
  @Test
  void repeatedAndChangedKeys() throws Exception {
    Random r = new Random(8489);
    byte[] key = new byte[16];
    byte[] other = new byte[20];
    r.nextBytes(other);
    for (int n = 0; n < 50; n++) {
      if (n % 5 == 0) {
        r.nextBytes(key); // the same array, new contents
      }
      byte[] k = n % 3 == 0 ? other : key;
      byte[] data = new byte[r.nextInt(100) + 20];
      r.nextBytes(data);
      assertArrayEquals(jdk("HmacSHA1", k, data, 0, data.length), Integrity.hmacSha1(k, data, 0, data.length), "message " + n);
    }
  }

  private static byte[] jdk(String alg, byte[] key, byte[] data, int off, int len) throws Exception {
    Mac mac = Mac.getInstance(alg);
    // An empty key equals a single zero byte (zero padding); SecretKeySpec rejects empty keys.
    mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, alg));
    mac.update(data, off, len);
    return mac.doFinal();
  }
}
