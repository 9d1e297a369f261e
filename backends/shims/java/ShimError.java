import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXReason;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/* ERROR: an outcome of the shared vocabulary with JSSE's own code and words. The
 * code is the alert number when an alert was received, else the hash of the
 * innermost exception's class name (JSSE has no error numbers); the text is every
 * message of the exception chain, outermost first. Mapping is done once, here. */
final class ShimError extends Exception {
    private static final long serialVersionUID = 1L;
    private static final Pattern ALERT = Pattern.compile("Received fatal alert: ([a-z_]+)");

    final String outcome;
    final long code;
    final String text;

    private ShimError(String outcome, long code, String text, Throwable cause) {
        super(text, cause);
        this.outcome = outcome;
        this.code = code;
        this.text = text;
    }

    Map<String, Object> json() {
        return Json.map("outcome", outcome, "code", code, "text", text);
    }

    static ShimError config(String text) {
        return new ShimError("internal_error", 0, text, null);
    }

    static ShimError truncated(String text) {
        return new ShimError("truncated", 0, text, null);
    }

    static ShimError of(Throwable t, String outcome) {
        return new ShimError(outcome, code(t), text(t), t);
    }

    /* A failed handshake, read or write. peerChain: the chain as the peer sent it
     * (null when none arrived), which tells apart what PKIX reports alike. */
    static ShimError classify(Throwable t, X509Certificate[] peerChain, boolean stapled) {
        String text = text(t);
        Matcher m = ALERT.matcher(text);
        if (m.find() && Iana.ALERTS.containsKey(m.group(1))) {
            int alert = Iana.ALERTS.get(m.group(1));
            return new ShimError(Iana.outcomeOfAlert(alert), alert, text, t);
        }
        String o = null;
        List<Throwable> chain = causes(t);
        Collections.reverse(chain); /* innermost first: the most precise reason */
        for (Throwable c : chain) {
            o = byType(c, peerChain, stapled);
            if (o != null)
                break;
        }
        if (o == null)
            o = byText(text.toLowerCase(Locale.ROOT), peerChain);
        if (o == null)
            o = t instanceof javax.net.ssl.SSLException ? "handshake_failure" : "internal_error";
        return new ShimError(o, code(t), text, t);
    }

    private static String byType(Throwable c, X509Certificate[] peerChain, boolean stapled) {
        if (c instanceof CertificateExpiredException)
            return "expired";
        if (c instanceof CertificateNotYetValidException)
            return "not_yet_valid";
        if (c instanceof javax.crypto.AEADBadTagException || c instanceof javax.crypto.BadPaddingException)
            return "bad_record_mac";
        if (c instanceof java.security.cert.CertificateParsingException)
            return "bad_certificate"; /* "Duplicate extensions not allowed", an unreadable leaf */
        if (c.getClass().getName().endsWith("SunCertPathBuilderException"))
            return untrusted(peerChain);
        if (!(c instanceof CertPathValidatorException))
            return null;
        CertPathValidatorException.Reason r = ((CertPathValidatorException) c).getReason();
        if (r == CertPathValidatorException.BasicReason.EXPIRED)
            return "expired";
        if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID)
            return "not_yet_valid";
        if (r == CertPathValidatorException.BasicReason.REVOKED)
            return "revoked";
        /* With a staple, what the revocation checker cannot decide is the staple's
         * fault: stale, signed by another, about another certificate. */
        if (stapled && (r == CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS
                        || String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT).contains("response")))
            return "ocsp_invalid";
        if (r == CertPathValidatorException.BasicReason.INVALID_SIGNATURE)
            return "bad_signature";
        if (r == CertPathValidatorException.BasicReason.ALGORITHM_CONSTRAINED)
            return String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT).contains("key")
                       ? "weak_key" : "weak_signature";
        if (r == PKIXReason.NO_TRUST_ANCHOR || r == PKIXReason.NAME_CHAINING)
            return untrusted(peerChain);
        if (r == PKIXReason.PATH_TOO_LONG)
            return "path_length";
        if (r == PKIXReason.INVALID_KEY_USAGE)
            return "bad_key_usage";
        if (r == PKIXReason.NOT_CA_CERT)
            return "invalid_ca";
        if (r == PKIXReason.INVALID_NAME)
            return "name_constraints";
        if (r == PKIXReason.UNRECOGNIZED_CRIT_EXT)
            return "unknown_critical_extension";
        return null;
    }

    /* PKIX found no path to an anchor. A leaf sent alone that names itself as issuer
     * is self-signed; one that names another is missing its chain; a chain sent
     * whole ends at a root nobody trusts. */
    private static String untrusted(X509Certificate[] chain) {
        if (chain == null || chain.length != 1)
            return "unknown_ca";
        X509Certificate leaf = chain[0];
        return leaf.getSubjectX500Principal().equals(leaf.getIssuerX500Principal()) ? "self_signed"
                                                                                  : "incomplete_chain";
    }

    /* JSSE reports much only in words: its messages, as JDK 17 writes them. */
    private static String byText(String s, X509Certificate[] peerChain) {
        if (s.contains("no ocsp response was stapled"))
            return "ocsp_missing";
        if (s.contains("no subject alternative") || s.contains("no name matching"))
            return "hostname_mismatch";
        if (s.contains("extended key usage") || s.contains("netscape cert type"))
            return "bad_eku";
        if (s.contains("keyusage does not allow") || s.contains("key usage"))
            return "bad_key_usage";
        if (s.contains("unable to find valid certification path"))
            return untrusted(peerChain);
        if (s.contains("could not determine revocation status"))
            return "handshake_failure";
        if (s.contains("no common named group") || s.contains("no supported named group"))
            return "no_shared_cipher";
        if (s.contains("no cipher suites in common") || s.contains("no negotiable cipher suite")
            || s.contains("no appropriate cipher suite"))
            return "no_shared_cipher";
        if (s.contains("protocol version") || s.contains("not accepted by") || s.contains("protocol is disabled")
            || s.contains("client requested protocol") || s.contains("unsupported protocol"))
            return "protocol_version";
        if (s.contains("empty client certificate chain") || s.contains("empty certificate chain"))
            return "certificate_required";
        if (s.contains("bad record mac") || s.contains("tag mismatch") || s.contains("invalid padding"))
            return "bad_record_mac";
        if (s.contains("before receiving peer's close_notify"))
            return "truncated";
        return null;
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> out = new ArrayList<>();
        for (Throwable c = t; c != null && !out.contains(c); c = c.getCause())
            out.add(c);
        return out;
    }

    private static long code(Throwable t) {
        List<Throwable> c = causes(t);
        return c.isEmpty() ? 0 : c.get(c.size() - 1).getClass().getName().hashCode();
    }

    /* "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: ...; caused
     * by java.security.cert.CertPathValidatorException: ...": a cause's message
     * already quoted by the outer one is not repeated. */
    static String text(Throwable t) {
        StringBuilder b = new StringBuilder();
        String prev = null;
        for (Throwable c : causes(t)) {
            String msg = c.getMessage();
            if (prev != null && msg != null && prev.contains(msg))
                continue;
            if (b.length() > 0)
                b.append("; caused by ");
            b.append(c.getClass().getName());
            if (msg != null)
                b.append(": ").append(msg);
            prev = msg;
        }
        return b.toString();
    }
}
