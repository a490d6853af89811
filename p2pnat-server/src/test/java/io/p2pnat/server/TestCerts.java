package io.p2pnat.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away certificate for "localhost" and 127.0.0.1 made with the openssl command, as an
 * operator makes one. Without openssl the test is skipped, except on CI ({@code CI=true}), where
 * scripts/install-coturn installs it.
 */
final class TestCerts {
    static final String MISSING = "openssl not found (scripts/install-coturn installs it)";

    record Pem(Path cert, Path key) {
        /** A client context that trusts this certificate only. */
        SSLContext trustingIt() throws Exception {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            try (var in = Files.newInputStream(cert)) {
                ks.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        }
    }

    private TestCerts() {
    }

    static Pem selfSigned(Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p;
        try {
            p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
        } catch (java.io.IOException e) {
            if ("true".equals(System.getenv("CI"))) {
                fail(MISSING);
            }
            assumeTrue(false, MISSING);
            throw e;
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("openssl did not finish");
        }
        assertEquals(0, p.exitValue(), () -> {
            try {
                return Files.readString(dir.resolve("openssl.log"));
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        return new Pem(cert, key);
    }
}
