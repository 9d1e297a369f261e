import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.PKIXReason;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/* Wrappers around JSSE's own key and trust managers. They change no verdict: they
 * note on the connection what JSSE does not report afterwards (the chain as the peer
 * sent it, whether a certificate was asked for and sent). */
final class Trust {
    private Trust() {
    }

    /* JSSE's PKIX trust manager, noting the chain as sent before it judges it. */
    static final class Recording extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager inner;

        Recording(X509ExtendedTrustManager inner) {
            this.inner = inner;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e)
            throws CertificateException {
            ShimConnection.notePeerChain(e, chain);
            inner.checkServerTrusted(chain, authType, e);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e)
            throws CertificateException {
            ShimConnection.notePeerChain(e, chain);
            inner.checkClientTrusted(chain, authType, e);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s)
            throws CertificateException {
            inner.checkServerTrusted(chain, authType, s);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s)
            throws CertificateException {
            inner.checkClientTrusted(chain, authType, s);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            inner.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            inner.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return inner.getAcceptedIssuers();
        }
    }

    /* The client asked for a staple: with one, JSSE's PKIX check with revocation on
     * (JSSE hands the staple to its checker); without one, the plain check, or a
     * refusal when one is required. */
    static final class Stapled extends AcceptAll {
        static final String MISSING = "no OCSP response was stapled, and the client requires one";
        private final X509ExtendedTrustManager plain, stapled;
        private final boolean require;

        Stapled(X509ExtendedTrustManager plain, X509ExtendedTrustManager stapled, boolean require) {
            this.plain = plain;
            this.stapled = stapled;
            this.require = require;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e)
            throws CertificateException {
            ShimConnection.notePeerChain(e, chain);
            byte[] staple = staple(e);
            ShimConnection.noteStaple(e, staple);
            if (staple != null)
                stapled.checkServerTrusted(chain, authType, e);
            else if (require)
                throw new CertificateException(MISSING);
            else
                plain.checkServerTrusted(chain, authType, e);
        }

        static byte[] staple(SSLEngine e) {
            javax.net.ssl.SSLSession s = e == null ? null : e.getHandshakeSession();
            if (!(s instanceof javax.net.ssl.ExtendedSSLSession))
                return null;
            java.util.List<byte[]> r = ((javax.net.ssl.ExtendedSSLSession) s).getStatusResponses();
            return r == null || r.isEmpty() || r.get(0).length == 0 ? null : r.get(0);
        }
    }

    /* verify false: any chain is accepted (and still noted). */
    static class AcceptAll extends X509ExtendedTrustManager {
        void judge(X509Certificate[] chain) throws CertificateException {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e)
            throws CertificateException {
            ShimConnection.notePeerChain(e, chain);
            ShimConnection.noteStaple(e, Stapled.staple(e));
            judge(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e)
            throws CertificateException {
            ShimConnection.notePeerChain(e, chain);
            judge(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s)
            throws CertificateException {
            judge(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s)
            throws CertificateException {
            judge(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            judge(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            judge(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /* Verification on with no trust anchors given: nothing is trusted. JSSE's PKIX
     * parameters refuse an empty anchor set, so the refusal is ours, worded as PKIX's
     * own (NO_TRUST_ANCHOR). */
    static final class RejectAll extends AcceptAll {
        @Override
        void judge(X509Certificate[] chain) throws CertificateException {
            throw new CertificateException("no trust anchors configured",
                new CertPathValidatorException("Path does not chain with any of the trust anchors", null,
                                               null, -1, PKIXReason.NO_TRUST_ANCHOR));
        }
    }

    /* Our one key and chain (or none), offered for the key type it is, whatever
     * issuers the peer names (as the C backends present a configured certificate),
     * noting whether the server asked for a client certificate: JSSE asks the key
     * manager only on a CertificateRequest. */
    static final class RecordingKeyManager extends X509ExtendedKeyManager {
        private static final String ALIAS = "own";
        private final X509Certificate[] chain; /* null: no certificate of our own */
        private final PrivateKey key;

        RecordingKeyManager(X509Certificate[] chain, PrivateKey key) {
            this.chain = chain;
            this.key = key;
        }

        private String fits(String... keyTypes) {
            if (key == null || keyTypes == null)
                return null;
            for (String t : keyTypes)
                if (key.getAlgorithm().equals(t))
                    return ALIAS;
            return null;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine e) {
            String alias = fits(keyType);
            ShimConnection.noteCertificateRequest(e, alias != null);
            return alias;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine e) {
            return fits(keyType);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return fits(keyType) == null ? null : new String[] { ALIAS };
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket s) {
            return fits(keyType);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket s) {
            return fits(keyType);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) && chain != null ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }
    }
}
