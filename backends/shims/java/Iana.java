import java.util.LinkedHashMap;
import java.util.Map;

/* JSSE's names and the IANA registry's numbers: cipher suites (JSSE uses the IANA
 * names, so the table is the suites this JSSE enables by default with their ids),
 * named groups, TLS alerts and protocol versions. */
final class Iana {
    private Iana() {
    }

    /* The suites JDK 17's SunJSSE enables by default, in its default order. */
    static final Map<String, Integer> SUITES = new LinkedHashMap<>();
    static {
        SUITES.put("TLS_AES_256_GCM_SHA384", 0x1302);
        SUITES.put("TLS_AES_128_GCM_SHA256", 0x1301);
        SUITES.put("TLS_CHACHA20_POLY1305_SHA256", 0x1303);
        SUITES.put("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xC02C);
        SUITES.put("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02B);
        SUITES.put("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9);
        SUITES.put("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xC030);
        SUITES.put("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA8);
        SUITES.put("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F);
        SUITES.put("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0x009F);
        SUITES.put("TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCAA);
        SUITES.put("TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", 0x00A3);
        SUITES.put("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x009E);
        SUITES.put("TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", 0x00A2);
        SUITES.put("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 0xC024);
        SUITES.put("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 0xC028);
        SUITES.put("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xC023);
        SUITES.put("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xC027);
        SUITES.put("TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 0x006B);
        SUITES.put("TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", 0x006A);
        SUITES.put("TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 0x0067);
        SUITES.put("TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", 0x0040);
        SUITES.put("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xC00A);
        SUITES.put("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xC014);
        SUITES.put("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC009);
        SUITES.put("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC013);
        SUITES.put("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 0x0039);
        SUITES.put("TLS_DHE_DSS_WITH_AES_256_CBC_SHA", 0x0038);
        SUITES.put("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 0x0033);
        SUITES.put("TLS_DHE_DSS_WITH_AES_128_CBC_SHA", 0x0032);
        SUITES.put("TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009D);
        SUITES.put("TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009C);
        SUITES.put("TLS_RSA_WITH_AES_256_CBC_SHA256", 0x003D);
        SUITES.put("TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003C);
        SUITES.put("TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035);
        SUITES.put("TLS_RSA_WITH_AES_128_CBC_SHA", 0x002F);
    }

    /* Named groups JDK 17 enables by default (jdk.tls.namedGroups unset). */
    static final Map<String, Integer> GROUPS = new LinkedHashMap<>();
    static {
        GROUPS.put("x25519", 29);
        GROUPS.put("secp256r1", 23);
        GROUPS.put("secp384r1", 24);
        GROUPS.put("secp521r1", 25);
        GROUPS.put("x448", 30);
        GROUPS.put("ffdhe2048", 256);
        GROUPS.put("ffdhe3072", 257);
        GROUPS.put("ffdhe4096", 258);
        GROUPS.put("ffdhe6144", 259);
        GROUPS.put("ffdhe8192", 260);
    }

    /* TLS alert descriptions as JSSE's messages name them ("Received fatal alert:
     * certificate_unknown"), with their numbers. */
    static final Map<String, Integer> ALERTS = new LinkedHashMap<>();
    static {
        String[] names = { "close_notify:0", "unexpected_message:10", "bad_record_mac:20",
            "decryption_failed:21", "record_overflow:22", "decompression_failure:30",
            "handshake_failure:40", "no_certificate:41", "bad_certificate:42",
            "unsupported_certificate:43", "certificate_revoked:44", "certificate_expired:45",
            "certificate_unknown:46", "illegal_parameter:47", "unknown_ca:48",
            "access_denied:49", "decode_error:50", "decrypt_error:51",
            "export_restriction:60", "protocol_version:70", "insufficient_security:71",
            "internal_error:80", "inappropriate_fallback:86", "user_canceled:90",
            "no_renegotiation:100", "missing_extension:109", "unsupported_extension:110",
            "certificate_unobtainable:111", "unrecognized_name:112",
            "bad_certificate_status_response:113", "bad_certificate_hash_value:114",
            "unknown_psk_identity:115", "certificate_required:116",
            "no_application_protocol:120" };
        for (String n : names) {
            int c = n.indexOf(':');
            ALERTS.put(n.substring(0, c), Integer.parseInt(n.substring(c + 1)));
        }
    }

    /* The shared vocabulary's reading of an alert (harness/vocab/outcome.c
     * th_outcome_from_alert): the same table, so a shim reads alerts as the C
     * backends do. */
    static String outcomeOfAlert(int alert) {
        switch (alert) {
        case 20: return "bad_record_mac";
        case 44: return "revoked";
        case 45: return "expired";
        case 48: return "unknown_ca";
        case 51: return "bad_signature";
        case 70: return "protocol_version";
        case 71: return "no_shared_cipher";
        case 80: return "internal_error";
        case 113: return "ocsp_invalid";
        case 116: return "certificate_required";
        default: return "handshake_failure";
        }
    }

    /* "1.2" <-> "TLSv1.2". */
    static String jsseVersion(String v) {
        switch (v) {
        case "1.0": return "TLSv1";
        case "1.1": return "TLSv1.1";
        case "1.2": return "TLSv1.2";
        case "1.3": return "TLSv1.3";
        default: return null;
        }
    }

    static String shortVersion(String jsse) {
        switch (jsse) {
        case "TLSv1": return "1.0";
        case "TLSv1.1": return "1.1";
        case "TLSv1.2": return "1.2";
        case "TLSv1.3": return "1.3";
        default: return "";
        }
    }

    static String suiteName(int id) {
        for (Map.Entry<String, Integer> e : SUITES.entrySet())
            if (e.getValue() == id)
                return e.getKey();
        return null;
    }
}
