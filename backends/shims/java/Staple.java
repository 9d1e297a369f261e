/* The status a stapled OCSP response gives the first certificate it names, read
 * from its DER (RFC 6960): JSSE hands the staple to its PKIX checker and keeps no
 * verdict to report. Only called on a handshake that completed, so the response
 * verified where the client checks staples. */
final class Staple {
    private Staple() {
    }

    /* "good", "revoked", "unknown"; "invalid" when it does not parse. */
    static String status(byte[] der) {
        try {
            return read(der);
        } catch (RuntimeException e) {
            return "invalid";
        }
    }

    private static String read(byte[] d) {
        int[] p = { 0 };
        enter(d, p, 0x30);              /* OCSPResponse */
        if (skip(d, p, 0x0a) != 0)      /* responseStatus: not successful */
            return "invalid";
        enter(d, p, 0xa0);              /* responseBytes [0] */
        enter(d, p, 0x30);
        skip(d, p, 0x06);               /* responseType */
        enter(d, p, 0x04);              /* response: BasicOCSPResponse */
        enter(d, p, 0x30);
        enter(d, p, 0x30);              /* tbsResponseData */
        if ((d[p[0]] & 0xff) == 0xa0)   /* version */
            skip(d, p, 0xa0);
        skip(d, p, d[p[0]] & 0xff);     /* responderID [1] or [2] */
        skip(d, p, 0x18);               /* producedAt */
        enter(d, p, 0x30);              /* responses */
        enter(d, p, 0x30);              /* the first SingleResponse */
        skip(d, p, 0x30);               /* certID */
        switch (d[p[0]] & 0xff) {
        case 0x80: return "good";
        case 0xa1: return "revoked";
        case 0x82: return "unknown";
        default: return "invalid";
        }
    }

    /* Step into the element at p (its tag checked), leaving p at its content. */
    private static int enter(byte[] d, int[] p, int tag) {
        if ((d[p[0]] & 0xff) != tag)
            throw new IllegalArgumentException("tag " + (d[p[0]] & 0xff) + ", wanted " + tag);
        p[0]++;
        int n = d[p[0]++] & 0xff;
        if (n < 0x80)
            return n;
        int len = 0;
        for (int k = n & 0x7f; k > 0; k--)
            len = (len << 8) | (d[p[0]++] & 0xff);
        return len;
    }

    /* Step over the element at p; its first content byte (an ENUMERATED's value). */
    private static int skip(byte[] d, int[] p, int tag) {
        int len = enter(d, p, tag);
        int first = len > 0 ? d[p[0]] & 0xff : 0;
        p[0] += len;
        return first;
    }
}
