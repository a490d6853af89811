package io.p2pnat.peer.internal;

import io.netty.incubator.codec.quic.QuicSslContext;
import io.netty.incubator.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * QUIC's TLS 1.3 (RFC 9001) cannot be switched off, and it is not what secures a stream: every
 * QUIC packet travels sealed in the session's Noise channel, authenticated by both peers' identity
 * keys (RFC 5128 §6.3), so the server or anyone on the path can neither read nor forge it. TLS runs
 * with one fixed, published certificate and accepts any (it is a formality inside the tunnel).
 */
final class QuicTls {
    /** ALPN of p2pnat streams. */
    static final String ALPN = "p2pnat-stream/1";

    private static final QuicSslContext SERVER;
    private static final QuicSslContext CLIENT;

    static {
        try {
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pem("quic-key.pem")));
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem("quic-cert.pem")));
            SERVER = QuicSslContextBuilder.forServer(key, null, cert).applicationProtocols(ALPN).build();
            CLIENT = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .applicationProtocols(ALPN).build();
        } catch (IOException | GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private QuicTls() {
    }

    static QuicSslContext server() {
        return SERVER;
    }

    static QuicSslContext client() {
        return CLIENT;
    }

    private static byte[] pem(String name) throws IOException {
        try (InputStream in = QuicTls.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            return Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", ""));
        }
    }
}
