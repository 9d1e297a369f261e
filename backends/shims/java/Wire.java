import java.io.ByteArrayOutputStream;

/* What JSSE does not report after a handshake, read from the server's plaintext
 * flight as it crosses the shim (a client's input, a server's output): the key
 * exchange group (TLS 1.3 key_share, TLS 1.2 ServerKeyExchange) and whether the
 * server resumed (TLS 1.3 pre_shared_key; TLS 1.2 a ChangeCipherSpec with no
 * ServerHelloDone before it). JSSE 17 has no getter for either. */
final class Wire {
    private static final byte[] HRR_RANDOM = hex(
        "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");

    private final ByteArrayOutputStream records = new ByteArrayOutputStream();
    private final ByteArrayOutputStream handshake = new ByteArrayOutputStream();
    private boolean done;
    private boolean sawServerHello; /* a real one, not a HelloRetryRequest */
    private boolean tls13;
    private boolean sawHelloDone;
    int group;
    boolean resumed;
    boolean retried; /* a HelloRetryRequest came */

    void feed(byte[] b, int off, int len) {
        if (done)
            return;
        records.write(b, off, len);
        byte[] all = records.toByteArray();
        int p = 0;
        while (!done && all.length - p >= 5) {
            int type = all[p] & 0xff;
            int n = ((all[p + 3] & 0xff) << 8) | (all[p + 4] & 0xff);
            if (all.length - p - 5 < n)
                break;
            record(type, all, p + 5, n);
            p += 5 + n;
        }
        records.reset();
        if (!done)
            records.write(all, p, all.length - p);
    }

    private void record(int type, byte[] b, int off, int len) {
        if (type == 22 && !(sawServerHello && tls13)) {
            handshake.write(b, off, len);
            messages();
            return;
        }
        if (type == 20 && sawServerHello && !tls13) {
            resumed = !sawHelloDone; /* a full TLS 1.2 handshake ends its flight with ServerHelloDone */
            done = true;
        } else if (type != 20 && sawServerHello) {
            done = true;
        }
    }

    private void messages() {
        byte[] h = handshake.toByteArray();
        int p = 0;
        while (h.length - p >= 4) {
            int n = ((h[p + 1] & 0xff) << 16) | ((h[p + 2] & 0xff) << 8) | (h[p + 3] & 0xff);
            if (h.length - p - 4 < n)
                break;
            message(h[p] & 0xff, h, p + 4, n);
            p += 4 + n;
        }
        handshake.reset();
        handshake.write(h, p, h.length - p);
    }

    private void message(int type, byte[] b, int off, int len) {
        if (type == 2)
            serverHello(b, off, len);
        else if (type == 14)
            sawHelloDone = true;
        else if (type == 12 && len >= 3 && (b[off] & 0xff) == 3) /* ECDHE: named_curve */
            group = u16(b, off + 1);
        if (sawServerHello && tls13)
            done = true;
    }

    private void serverHello(byte[] b, int off, int len) {
        int end = off + len;
        int p = off + 2;
        if (p + 32 > end)
            return;
        boolean hrr = java.util.Arrays.equals(java.util.Arrays.copyOfRange(b, p, p + 32), HRR_RANDOM);
        p += 32;
        p += 1 + (b[p] & 0xff); /* session_id */
        p += 3;                  /* cipher_suite, compression */
        if (p + 2 > end)
            return;
        int extEnd = Math.min(end, p + 2 + u16(b, p));
        p += 2;
        boolean v13 = false;
        int share = 0;
        boolean psk = false;
        while (p + 4 <= extEnd) {
            int t = u16(b, p);
            int n = u16(b, p + 2);
            if (t == 43 && n >= 2)
                v13 = u16(b, p + 4) == 0x0304;
            else if (t == 51 && n >= 2)
                share = u16(b, p + 4);
            else if (t == 41)
                psk = true;
            p += 4 + n;
        }
        if (hrr) {
            retried = true;
            return;
        }
        sawServerHello = true;
        tls13 = v13;
        if (v13) {
            group = share;
            resumed = psk;
        }
    }

    private static int u16(byte[] b, int p) {
        return ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
    }

    private static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++)
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }
}
