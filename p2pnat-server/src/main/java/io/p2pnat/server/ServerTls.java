package io.p2pnat.server;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;

/**
 * TLS on the server's TCP port (TURN over TLS, RFC 8656 §3.1, the {@code turns:} URI): a PEM
 * certificate chain and its PEM private key (PKCS#8, unencrypted, as Let's Encrypt and
 * {@code openssl req -x509} give them). A connection that opens with a TLS handshake record is
 * decrypted first and then served as any other connection on the port.
 */
public final class ServerTls {
    private final SslContext context;
    private final String subject;

    private ServerTls(SslContext context, String subject) {
        this.context = context;
        this.subject = subject;
    }

    /**
     * Reads the certificate chain and key.
     *
     * @param certificateChain the PEM certificate chain, the server's own certificate first
     * @param privateKey       its unencrypted PEM private key (PKCS#8)
     * @return the TLS settings for {@link RendezvousServer#enableTls}
     * @throws IOException with a message naming the file and what is wrong with it
     */
    public static ServerTls fromPem(Path certificateChain, Path privateKey) throws IOException {
        for (Path p : new Path[] {certificateChain, privateKey}) {
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                throw new IOException(p + ": no such readable file");
            }
        }
        String subject;
        try (var in = Files.newInputStream(certificateChain)) {
            Collection<? extends java.security.cert.Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IOException(certificateChain + ": no PEM certificate in it");
            }
            subject = ((X509Certificate) certs.iterator().next()).getSubjectX500Principal().getName();
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(certificateChain + ": not a PEM certificate chain (" + e.getMessage() + ")", e);
        }
        try {
            SslContext ctx = SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile()).build();
            return new ServerTls(ctx, subject);
        } catch (IllegalArgumentException | javax.net.ssl.SSLException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException(privateKey + ": not an unencrypted PEM private key (PKCS#8) for " + certificateChain
                    + " (" + cause.getMessage() + ")", e);
        }
    }

    SslContext context() {
        return context;
    }

    /** {@return the certificate's subject, for the startup line} */
    public String subject() {
        return subject;
    }
}
