import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.X509CRL;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/* One context: a `ctx` request's CONFIG turned into an SSLContext and the
 * SSLParameters every engine of it gets. What JSSE cannot be told exactly is refused
 * here (ShimError), never widened. */
final class ShimContext {
    /* The tickets switch JSSE reads when an SSLContext is made: one context at a
     * time sets it (see make()). */
    private static final Object PROPERTY_LOCK = new Object();
    private static final String SERVER_TICKETS = "jdk.tls.server.enableSessionTicketExtension";
    private static final String CLIENT_TICKETS = "jdk.tls.client.enableSessionTicketExtension";
    private static final String CLIENT_STATUS_REQUEST = "jdk.tls.client.enableStatusRequestExtension";
    /* Above NewSessionTicket.MAX_TICKET_LIFETIME (7 days) a JSSE server sends no TLS
     * 1.3 ticket at all: the one switch per context that turns them off. */
    private static final int NO_TLS13_TICKETS_TIMEOUT = 604800 + 1;
    /* SSLParameters.setNamedGroups exists from JDK 20 on; looked up once. */
    static final Method SET_NAMED_GROUPS = findSetNamedGroups();

    final boolean server;
    final boolean verify;
    final String hostname; /* null: no check */
    final boolean sessionCache;
    final String ocsp; /* client: off, request, require */
    final SSLContext ssl;
    private final SSLParameters params;
    /* A server's ALPN list, chosen from by a selector: with setApplicationProtocols
     * JSSE aborts (alert 120) when nothing is shared, where a server may go on
     * without ALPN (RFC 7301 3.2 lets it), as the other backends' servers do. */
    private List<String> serverAlpn = List.of();

    private ShimContext(Map<String, Object> cfg) throws ShimError {
        String role = Json.str(cfg, "role");
        if (!"client".equals(role) && !"server".equals(role))
            throw ShimError.config("role must be client or server, not " + role);
        server = "server".equals(role);
        verify = Json.bool(cfg, "verify", true);
        hostname = Json.str(cfg, "hostname");
        sessionCache = Json.bool(cfg, "session_cache", true);
        String o = Json.str(cfg, "ocsp");
        ocsp = server || o == null ? "off" : o;
        refuseUnsupported(cfg);
        params = parameters(cfg);
        try {
            ssl = make(cfg, keyManagers(cfg), trustManagers(cfg));
        } catch (AnchorException e) {
            throw ShimError.of(e, "anchor_unusable");
        } catch (GeneralSecurityException | IOException e) {
            throw ShimError.of(e, "internal_error");
        }
    }

    static ShimContext create(Map<String, Object> cfg) throws ShimError {
        return new ShimContext(cfg);
    }

    /* Keys of CONFIG this shim declares no capability for: a config that asks for one
     * anyway is refused, as the protocol says. */
    private void refuseUnsupported(Map<String, Object> cfg) throws ShimError {
        if (!List.of("off", "request", "require").contains(ocsp))
            throw ShimError.config("ocsp must be off, request or require, not " + ocsp);
        if (server && Json.str(cfg, "ocsp_file") != null)
            throw ShimError.config("a JSSE server staples only what it fetches from the responder itself"
                                   + " (jdk.tls.stapling.enable), never a given response (ocsp_file)");
        if (!"off".equals(ocsp) && Json.str(cfg, "crl_file") != null)
            throw ShimError.config("this shim checks revocation from CRLs or from a staple, not both at once");
        /* JSSE checks the leaf against the SNI name when one is sent, and against the
         * peer host only when that fails (X509TrustManagerImpl.checkIdentity): a
         * hostname other than the SNI name could pass for the wrong reason. */
        String sni = Json.str(cfg, "sni");
        if (!server && verify && hostname != null && sni != null && !sni.equalsIgnoreCase(hostname))
            throw ShimError.config("JSSE checks the certificate against the SNI name (" + sni
                                   + ") when one is sent, so it cannot check another hostname (" + hostname + ")");
        if (!Json.list(cfg, "groups").isEmpty() && SET_NAMED_GROUPS == null)
            throw ShimError.config("JSSE " + System.getProperty("java.version")
                                   + " cannot restrict named groups per connection"
                                   + " (SSLParameters.setNamedGroups is JDK 20+)");
    }

    private SSLParameters parameters(Map<String, Object> cfg) throws ShimError {
        SSLParameters p = new SSLParameters();
        p.setProtocols(protocols(cfg));
        p.setCipherSuites(suites(cfg));
        p.setUseCipherSuitesOrder(server && Json.bool(cfg, "prefer_server_order", false));
        List<String> alpn = strings(Json.list(cfg, "alpn"));
        if (!alpn.isEmpty() && !server)
            p.setApplicationProtocols(alpn.toArray(new String[0]));
        serverAlpn = server ? alpn : List.of();
        groups(p, Json.list(cfg, "groups"));
        if (server) {
            String auth = Json.str(cfg, "client_auth");
            if ("require".equals(auth))
                p.setNeedClientAuth(true);
            else if ("request".equals(auth))
                p.setWantClientAuth(true);
            return p;
        }
        /* SNI exactly as asked: JSSE would otherwise send the engine's peer host. */
        List<SNIServerName> names = new ArrayList<>();
        String sni = Json.str(cfg, "sni");
        if (sni != null) {
            try {
                names.add(new SNIHostName(sni));
            } catch (IllegalArgumentException e) {
                throw ShimError.config("SNI name refused by JSSE: " + e.getMessage());
            }
        }
        p.setServerNames(names);
        if (verify && hostname != null)
            p.setEndpointIdentificationAlgorithm("HTTPS");
        return p;
    }

    private static String[] protocols(Map<String, Object> cfg) throws ShimError {
        List<String> out = new ArrayList<>();
        for (String v : strings(Json.list(cfg, "versions"))) {
            if (!TlsharnessShim.VERSIONS.contains(v))
                throw ShimError.config("TLS version " + v + " is not one this shim offers");
            out.add(Iana.jsseVersion(v));
        }
        if (out.isEmpty())
            throw ShimError.config("no TLS version asked for");
        return out.toArray(new String[0]);
    }

    private static String[] suites(Map<String, Object> cfg) throws ShimError {
        List<Object> ids = Json.list(cfg, "suites");
        if (ids.isEmpty())
            return Iana.SUITES.keySet().toArray(new String[0]);
        List<String> out = new ArrayList<>();
        for (Object o : ids) {
            String name = Iana.suiteName(((Number) o).intValue());
            if (name == null)
                throw ShimError.config("cipher suite 0x" + Integer.toHexString(((Number) o).intValue())
                                       + " is not one this JSSE enables");
            out.add(name);
        }
        return out.toArray(new String[0]);
    }

    private static void groups(SSLParameters p, List<Object> ids) throws ShimError {
        if (ids.isEmpty() || SET_NAMED_GROUPS == null)
            return;
        List<String> names = new ArrayList<>();
        for (Object o : ids) {
            String n = null;
            for (Map.Entry<String, Integer> e : Iana.GROUPS.entrySet())
                if (e.getValue() == ((Number) o).intValue())
                    n = e.getKey();
            if (n == null)
                throw ShimError.config("named group " + o + " is not one this JSSE has");
            names.add(n);
        }
        try {
            SET_NAMED_GROUPS.invoke(p, (Object) names.toArray(new String[0]));
        } catch (ReflectiveOperationException e) {
            throw ShimError.of(e, "internal_error");
        }
    }

    private static Method findSetNamedGroups() {
        try {
            return SSLParameters.class.getMethod("setNamedGroups", String[].class);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    static List<String> strings(List<Object> l) {
        List<String> out = new ArrayList<>();
        for (Object o : l)
            out.add(String.valueOf(o));
        return out;
    }

    /* JSSE reads the session-ticket and status_request switches when an SSLContext
     * is made, so a context made with them set to this config's values, then put
     * back, keeps them alone: a server with tickets false issues no RFC 5077 ticket
     * (and TLS 1.3 tickets then only name its cache); a client resuming by session ID
     * offers no ticket; a client with ocsp off asks for no staple. */
    private SSLContext make(Map<String, Object> cfg, KeyManager[] km, TrustManager[] tm)
        throws GeneralSecurityException {
        boolean tickets = server ? Json.bool(cfg, "tickets", true)
                                 : !"session_id".equals(Json.str(cfg, "resume"));
        Map<String, String> props = new java.util.HashMap<>();
        props.put(server ? SERVER_TICKETS : CLIENT_TICKETS, Boolean.toString(tickets));
        if (!server)
            props.put(CLIENT_STATUS_REQUEST, Boolean.toString(!"off".equals(ocsp)));
        SSLContext c;
        synchronized (PROPERTY_LOCK) {
            Map<String, String> old = new java.util.HashMap<>();
            for (Map.Entry<String, String> e : props.entrySet())
                old.put(e.getKey(), System.setProperty(e.getKey(), e.getValue()));
            try {
                c = SSLContext.getInstance("TLS");
            } finally {
                for (Map.Entry<String, String> e : old.entrySet()) {
                    if (e.getValue() == null)
                        System.clearProperty(e.getKey());
                    else
                        System.setProperty(e.getKey(), e.getValue());
                }
            }
        }
        c.init(km, tm, null);
        SSLSessionContext sc = server ? c.getServerSessionContext() : c.getClientSessionContext();
        if (server && !tickets && !sessionCache)
            sc.setSessionTimeout(NO_TLS13_TICKETS_TIMEOUT);
        return c;
    }

    SSLEngine engine(String host, int port) {
        SSLEngine e = ssl.createSSLEngine(host, port);
        e.setUseClientMode(!server);
        e.setSSLParameters(params);
        if (!serverAlpn.isEmpty()) {
            List<String> mine = serverAlpn;
            e.setHandshakeApplicationProtocolSelector((engine, offered) -> {
                for (String p : mine)
                    if (offered.contains(p))
                        return p; /* the server's order */
                return ""; /* nothing shared: no ALPN, the handshake goes on */
            });
        }
        return e;
    }

    /* Our own key, with a wrapper that notes on the connection that the server asked
     * (JSSE's only sign of a CertificateRequest) and whether a certificate went. */
    private KeyManager[] keyManagers(Map<String, Object> cfg) throws GeneralSecurityException, IOException {
        String certFile = Json.str(cfg, "cert_file");
        String keyFile = Json.str(cfg, "key_file");
        if (certFile == null || keyFile == null)
            return new KeyManager[] { new Trust.RecordingKeyManager(null, null) };
        X509Certificate[] chain = Pem.certificates(certFile).toArray(new X509Certificate[0]);
        return new KeyManager[] { new Trust.RecordingKeyManager(chain, Pem.privateKey(keyFile)) };
    }

    private TrustManager[] trustManagers(Map<String, Object> cfg) throws GeneralSecurityException, IOException {
        String caFile = Json.str(cfg, server ? "client_ca_file" : "ca_file");
        if (!server && !verify)
            return new TrustManager[] { new Trust.AcceptAll() };
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        if (caFile != null) {
            int n = 0;
            for (X509Certificate c : Pem.anchors(caFile))
                anchors.setCertificateEntry("ca" + n++, c);
        }
        if (anchors.size() == 0) /* PKIXBuilderParameters wants one: none trusts nothing */
            return new TrustManager[] { new Trust.RejectAll() };
        PKIXBuilderParameters pk = new PKIXBuilderParameters(anchors, new X509CertSelector());
        String crlFile = server ? null : Json.str(cfg, "crl_file");
        pk.setRevocationEnabled(crlFile != null);
        if (crlFile != null)
            pk.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(Pem.crls(crlFile))));
        X509ExtendedTrustManager plain = pkix(pk);
        if ("off".equals(ocsp))
            return new TrustManager[] { new Trust.Recording(plain) };
        /* A staple is checked for the leaf only (what it can speak for), never fetched
         * elsewhere; a connection without one gets the plain check. */
        PKIXBuilderParameters sp = new PKIXBuilderParameters(anchors, new X509CertSelector());
        PKIXRevocationChecker rc = (PKIXRevocationChecker) CertPathValidator.getInstance("PKIX").getRevocationChecker();
        rc.setOptions(EnumSet.of(PKIXRevocationChecker.Option.ONLY_END_ENTITY, PKIXRevocationChecker.Option.NO_FALLBACK));
        sp.addCertPathChecker(rc);
        sp.setRevocationEnabled(true);
        return new TrustManager[] { new Trust.Stapled(plain, pkix(sp), "require".equals(ocsp)) };
    }

    private static X509ExtendedTrustManager pkix(PKIXBuilderParameters pk) throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(new CertPathTrustManagerParameters(pk));
        return (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
    }

    /* PEM files: certificates, CRLs, PKCS#8 keys. */
    static final class Pem {
        private Pem() {
        }

        static List<X509Certificate> certificates(String path) throws GeneralSecurityException, IOException {
            List<X509Certificate> out = new ArrayList<>();
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (java.security.cert.Certificate c : cf.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(Paths.get(path)))))
                out.add((X509Certificate) c);
            return out;
        }

        /* A trust anchor file JSSE will not read is the anchor's fault, not ours. */
        static List<X509Certificate> anchors(String path) throws GeneralSecurityException, IOException {
            byte[] raw = Files.readAllBytes(Paths.get(path));
            try {
                List<X509Certificate> out = new ArrayList<>();
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                for (java.security.cert.Certificate c : cf.generateCertificates(new ByteArrayInputStream(raw)))
                    out.add((X509Certificate) c);
                return out;
            } catch (java.security.cert.CertificateException e) {
                throw new AnchorException("trust anchors in " + path + " unusable: " + e.getMessage(), e);
            }
        }

        static Collection<X509CRL> crls(String path) throws GeneralSecurityException, IOException {
            List<X509CRL> out = new ArrayList<>();
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            try {
                for (java.security.cert.CRL c : cf.generateCRLs(new ByteArrayInputStream(Files.readAllBytes(Paths.get(path)))))
                    out.add((X509CRL) c);
            } catch (java.security.cert.CRLException e) {
                throw new AnchorException("CRLs in " + path + " unusable: " + e.getMessage(), e);
            }
            return out;
        }

        /* PKCS#8: RSA, EC and Ed25519 keys all come as BEGIN PRIVATE KEY; the key's
         * own algorithm OID decides, so each factory is tried in turn. */
        static PrivateKey privateKey(String path) throws GeneralSecurityException, IOException {
            String text = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.US_ASCII);
            int a = text.indexOf("-----BEGIN PRIVATE KEY-----");
            int b = text.indexOf("-----END PRIVATE KEY-----");
            if (a < 0 || b < a)
                throw new GeneralSecurityException(path + ": no PEM PKCS#8 private key");
            String body = text.substring(a + 27, b).replaceAll("\\s", "");
            PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body));
            GeneralSecurityException last = null;
            for (String alg : new String[] { "RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA" }) {
                try {
                    return KeyFactory.getInstance(alg).generatePrivate(spec);
                } catch (GeneralSecurityException e) {
                    last = e;
                }
            }
            throw last;
        }
    }

    /* A trust anchor or CRL file JSSE refuses to read. */
    static final class AnchorException extends GeneralSecurityException {
        private static final long serialVersionUID = 1L;

        AnchorException(String msg, Throwable cause) {
            super(msg, cause);
        }
    }
}
