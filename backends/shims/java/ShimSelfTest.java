import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/* The shim against itself, through the protocol exactly as the driver speaks it: a
 * client and a server process, each connection two UNIX sockets whose C frames this
 * test relays in lockstep. `java -cp DIR ShimSelfTest [PKI_DIR]` prints TAP and exits
 * non-zero when a check fails. */
public final class ShimSelfTest {
    private static int n, failures;
    private static String pki = "results/pki"; /* or the folder given */

    /* One shim process: the control channel. */
    static final class Shim {
        final Process proc;
        final Path sock;
        final Writer req;
        final BufferedReader rep;

        Shim(Path dir, String name) throws IOException, InterruptedException {
            sock = dir.resolve(name + ".sock");
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            proc = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "TlsharnessShim",
                                      sock.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            req = new OutputStreamWriter(proc.getOutputStream(), StandardCharsets.UTF_8);
            rep = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8));
            for (int i = 0; i < 100 && !Files.exists(sock); i++)
                Thread.sleep(50);
        }

        Map<String, Object> call(Object request) throws IOException {
            req.write(Json.write(request) + "\n");
            req.flush();
            String line = rep.readLine();
            return Json.obj(Json.parse(Objects.requireNonNull(line, "shim closed its standard output")));
        }

        long ctx(Map<String, Object> config) throws IOException {
            Map<String, Object> r = call(Json.map("op", "ctx", "config", config));
            if (!Boolean.TRUE.equals(r.get("ok")))
                throw new IOException("ctx refused: " + Json.write(r));
            return Json.num(r, "ctx");
        }
    }

    /* One end of one connection, with what it reported. */
    static final class End {
        final SocketChannel ch;
        final DataInputStream in;
        final ArrayDeque<byte[]> toPeer = new ArrayDeque<>();
        final StringBuilder plain = new StringBuilder();
        long sentC, lastW = -1, sentCmd, lastA;
        Map<String, Object> neg, err, got;
        boolean z;

        End(Shim s, long ctx, Long session) throws IOException {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(s.sock));
            in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch)));
            send('N', Json.write(Json.map("ctx", ctx, "session", session)).getBytes(StandardCharsets.UTF_8));
        }

        void send(char type, byte[] p) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(5 + p.length).put((byte) type).putInt(p.length).put(p);
            b.flip();
            while (b.hasRemaining())
                ch.write(b);
            if (type == 'C')
                sentC++;
            if (type == 'P' || type == 'S' || type == 'K')
                sentCmd++;
        }

        /* Nothing more will come from it until it gets more input. */
        boolean quiet() {
            return err != null || (lastW == sentC && lastA == sentCmd) || (z && lastA == sentCmd);
        }

        void step() throws IOException {
            int type = in.readUnsignedByte();
            byte[] p = new byte[in.readInt()];
            in.readFully(p);
            String s = new String(p, StandardCharsets.UTF_8);
            switch ((char) type) {
            case 'C': toPeer.add(p); break;
            case 'W': lastW = ByteBuffer.wrap(p).getLong(); break;
            case 'A': lastA = ByteBuffer.wrap(p).getLong(); break;
            case 'H': neg = Json.obj(Json.parse(s)); break;
            case 'F': err = Json.obj(Json.parse(s)); break;
            case 'P': plain.append(s); break;
            case 'Z': z = true; break;
            case 'g': got = Json.obj(Json.parse(s)); break;
            default: throw new IOException("unexpected frame " + (char) type);
            }
        }

        void close() throws IOException {
            ch.close();
        }
    }

    /* Relay until both ends are quiet with nothing in flight. */
    static void settle(End a, End b) throws IOException {
        for (int guard = 0; guard < 10000; guard++) {
            boolean moved = relay(a, b) | relay(b, a);
            if (!a.quiet())
                a.step();
            else if (!b.quiet())
                b.step();
            else if (!moved && a.toPeer.isEmpty() && b.toPeer.isEmpty())
                return;
        }
        throw new IOException("no progress");
    }

    private static boolean relay(End from, End to) throws IOException {
        boolean moved = false;
        while (!from.toPeer.isEmpty()) {
            byte[] c = from.toPeer.poll();
            if (to.err == null)
                to.send('C', c);
            moved = true;
        }
        return moved;
    }

    static Long getSession(End c) throws IOException {
        c.send('G', new byte[0]);
        while (c.got == null)
            c.step();
        Long id = Json.num(c.got, "session");
        c.got = null;
        return id;
    }

    static void ok(boolean cond, String what, Object detail) {
        n++;
        System.out.println((cond ? "ok " : "not ok ") + n + " - " + what);
        if (!cond) {
            failures++;
            System.out.println("# " + detail);
        }
    }

    static Map<String, Object> server(String cert) {
        return Json.map("role", "server", "versions", List.of("1.2", "1.3"), "suites", List.of(), "groups",
                        List.of(), "alpn", List.of(), "cert_file", pki + "/" + cert + ".chain.pem", "key_file",
                        pki + "/" + cert + ".key.pem", "client_auth", "none", "prefer_server_order", false,
                        "tickets", true, "session_cache", true, "ocsp", "off");
    }

    static Map<String, Object> client(String version, String resume) {
        return Json.map("role", "client", "versions", List.of(version), "suites", List.of(), "groups",
                        List.of(), "alpn", List.of(), "ca_file", pki + "/root.pem", "crl_file", null,
                        "hostname", "localhost", "sni", "localhost", "verify", true, "resume", resume,
                        "client_auth", "none", "ocsp", "off");
    }

    static End[] connect(Shim cs, long cctx, Long session, Shim ss, long sctx) throws IOException {
        End s = new End(ss, sctx, null);
        End c = new End(cs, cctx, session);
        settle(c, s);
        return new End[] { c, s };
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0)
            pki = args[0];
        Path dir = Files.createTempDirectory("shim-selftest");
        Shim cs = new Shim(dir, "client"), ss = new Shim(dir, "server");
        try {
            run(cs, ss);
        } catch (Exception e) {
            ok(false, "no exception", ShimError.text(e));
        } finally {
            cs.call(Json.map("op", "quit"));
            ss.proc.getOutputStream().close(); /* the other way to end: standard input closes */
            ok(cs.proc.waitFor() == 0 && ss.proc.waitFor() == 0, "both shims exit 0 (quit, end of input)", "");
            System.out.println("1.." + n);
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    private static void run(Shim cs, Shim ss) throws IOException {
        Map<String, Object> h = cs.call(Json.map("op", "hello", "protocol", 1));
        ok(Boolean.TRUE.equals(h.get("ok")) && "java".equals(h.get("name")), "hello names the shim and its caps", h);
        Map<String, Object> u = cs.call(Json.map("op", "nonsense"));
        ok(Boolean.FALSE.equals(u.get("ok")) && "internal_error".equals(Json.obj(u.get("error")).get("outcome")),
           "unknown op refused as internal_error", u);
        long sctx = ss.ctx(server("rsa2048"));
        for (String v : List.of("1.3", "1.2"))
            fullAndResume(cs, ss, sctx, v);
        for (String cert : List.of("ecdsa-p256", "ecdsa-p384", "ed25519")) {
            End[] e = connect(cs, cs.ctx(client("1.3", "none")), null, ss, ss.ctx(server(cert)));
            ok(e[0].neg != null && e[1].neg != null, cert + " server key: TLS 1.3 handshake", e[0].err + " / " + e[1].err);
            e[0].close();
            e[1].close();
        }
        End early = new End(ss, ss.ctx(server("rsa2048")), null);
        early.send('E', new byte[0]);
        while (early.err == null)
            early.step();
        ok("truncated".equals(early.err.get("outcome")), "end of stream before a ClientHello: truncated", early.err);
        early.close();
        Map<String, Object> sni = client("1.3", "none");
        sni.put("hostname", "example.com");
        Map<String, Object> r = cs.call(Json.map("op", "ctx", "config", sni));
        ok(Boolean.FALSE.equals(r.get("ok")), "a hostname other than the SNI name is refused", r);
        groups(cs, ss, ((List<?>) Json.obj(h.get("caps")).get("features")).contains("restrict_groups"));
        failures(cs, ss);
        resumptionModes(cs, ss);
        clientAuth(cs, ss);
    }

    /* A full handshake, data both ways, close_notify, then a resumption by ticket. */
    private static void fullAndResume(Shim cs, Shim ss, long sctx, String v) throws IOException {
        long cctx = cs.ctx(client(v, "ticket"));
        End[] e = connect(cs, cctx, null, ss, sctx);
        End c = e[0], s = e[1];
        ok(c.neg != null && s.neg != null && v.equals(c.neg.get("version")) && v.equals(s.neg.get("version"))
               && Boolean.FALSE.equals(c.neg.get("resumed")) && ((Number) c.neg.get("group")).intValue() != 0,
           "TLS " + v + " full handshake, both ends report it", c.neg + " / " + s.neg + " / " + c.err + s.err);
        c.send('P', "ping".getBytes(StandardCharsets.UTF_8));
        settle(c, s);
        s.send('P', "pong".getBytes(StandardCharsets.UTF_8));
        settle(c, s);
        ok("ping".equals(s.plain.toString()) && "pong".equals(c.plain.toString()) && c.lastA == 1 && s.lastA == 1,
           "TLS " + v + " data both ways, acknowledged", s.plain + " / " + c.plain);
        if (v.equals("1.3")) {
            c.send('P', new byte[20000]);
            c.send('K', new byte[0]);
            c.send('P', new byte[50000]);
            settle(c, s);
            s.plain.setLength(4);
            c.send('P', "after".getBytes(StandardCharsets.UTF_8));
            s.send('P', "update".getBytes(StandardCharsets.UTF_8));
            settle(c, s);
            ok("pingafter".equals(s.plain.toString()) && "pongupdate".equals(c.plain.toString()) && c.err == null
                   && s.err == null && c.lastA == 5,
               "TLS 1.3 KeyUpdate (K), then data both ways", s.plain + " / " + c.plain + c.err + s.err);
        }
        Long session = getSession(c);
        ok(session != null, "TLS " + v + " client has a session to resume", "none");
        c.send('S', new byte[0]);
        settle(c, s);
        ok(s.z && c.lastA == c.sentCmd, "TLS " + v + " close_notify reaches the server (Z)", "no Z");
        c.close();
        s.close();
        e = connect(cs, cctx, session, ss, sctx);
        ok(e[0].neg != null && Boolean.TRUE.equals(e[0].neg.get("resumed"))
               && Boolean.TRUE.equals(e[1].neg.get("resumed")),
           "TLS " + v + " resumption by ticket, both ends report it", e[0].neg + " / " + e[1].neg + e[0].err);
        e[0].close();
        e[1].close();
        e = connect(cs, cctx, session, ss, sctx);
        ok(e[0].neg != null && Boolean.TRUE.equals(e[0].neg.get("resumed")),
           "TLS " + v + " the same session resumes again", e[0].neg + " / " + e[1].neg + e[0].err);
        e[1].send('E', new byte[0]);
        while (e[1].err == null)
            e[1].step();
        ok("truncated".equals(e[1].err.get("outcome")), "TLS " + v + " end of stream without close_notify: truncated",
           e[1].err);
        e[0].close();
        e[1].close();
    }

    /* A group list is honoured exactly where JSSE can be told one (JDK 20+), and a
     * context asking for one is refused where it cannot. */
    private static void groups(Shim cs, Shim ss, boolean can) throws IOException {
        Map<String, Object> ccfg = client("1.3", "none");
        ccfg.put("groups", List.of(29, 23));
        Map<String, Object> r = cs.call(Json.map("op", "ctx", "config", ccfg));
        if (!can) {
            ok(Boolean.FALSE.equals(r.get("ok")), "a group list is refused without restrict_groups", r);
            return;
        }
        Map<String, Object> scfg = server("rsa2048");
        scfg.put("groups", List.of(23));
        End[] e = connect(cs, Json.num(r, "ctx"), null, ss, ss.ctx(scfg));
        ok(e[0].neg != null && Long.valueOf(23).equals(e[0].neg.get("group")),
           "groups restricted: the client retries with secp256r1", e[0].neg + " / " + e[0].err + e[1].err);
        e[0].close();
        e[1].close();
    }

    private static void refused(Shim cs, Shim ss, String cert, Map<String, Object> ccfg, String want)
        throws IOException {
        long sctx = ss.ctx(server(cert));
        End[] e = connect(cs, cs.ctx(ccfg), null, ss, sctx);
        ok(e[0].err != null && want.equals(e[0].err.get("outcome")), cert + ": client refuses it as " + want,
           e[0].err + " / server: " + e[1].err);
        if (System.getenv("SHIM_SELFTEST_VERBOSE") != null)
            System.out.println("# " + e[0].err + " / server: " + e[1].err);
        e[0].close();
        e[1].close();
    }

    private static void failures(Shim cs, Shim ss) throws IOException {
        refused(cs, ss, "expired", client("1.3", "none"), "expired");
        refused(cs, ss, "untrusted-chain", client("1.3", "none"), "unknown_ca");
        refused(cs, ss, "expired", client("1.2", "none"), "expired");
        refused(cs, ss, "self-signed", client("1.3", "none"), "self_signed");
        refused(cs, ss, "no-intermediate", client("1.3", "none"), "incomplete_chain");
        refused(cs, ss, "wrong-host", client("1.3", "none"), "hostname_mismatch");
        refused(cs, ss, "bad-eku", client("1.3", "none"), "bad_eku");
        refused(cs, ss, "not-yet-valid", client("1.3", "none"), "not_yet_valid");
        refused(cs, ss, "bad-signature", client("1.3", "none"), "bad_signature");
        Map<String, Object> crl = client("1.3", "none");
        crl.put("crl_file", pki + "/crl.pem");
        refused(cs, ss, "revoked", crl, "revoked");
        Map<String, Object> v12 = client("1.2", "none");
        v12.put("suites", List.of(0xc02f));
        Map<String, Object> srv = server("rsa2048");
        srv.put("suites", List.of(0xc030));
        srv.put("versions", List.of("1.2"));
        End[] e = connect(cs, cs.ctx(v12), null, ss, ss.ctx(srv));
        ok(e[1].err != null && "no_shared_cipher".equals(e[1].err.get("outcome")),
           "no suite in common: no_shared_cipher", e[0].err + " / " + e[1].err);
        Map<String, Object> v13 = client("1.3", "none");
        e = connect(cs, cs.ctx(v13), null, ss, ss.ctx(srv));
        ok(e[0].err != null && "protocol_version".equals(e[0].err.get("outcome")),
           "TLS 1.3 client, TLS 1.2 server: protocol_version", e[0].err + " / " + e[1].err);
    }

    private static void resumptionModes(Shim cs, Shim ss) throws IOException {
        Object[][] modes = { { "1.2", "session_id", false, true, true },
                             { "1.2", "session_id", true, false, false }, { "1.2", "ticket", false, false, false },
                             { "1.3", "ticket", false, false, false }, { "1.2", "ticket", true, false, true },
                             { "1.3", "ticket", true, false, true } };
        for (Object[] m : modes) {
            Map<String, Object> scfg = server("rsa2048");
            scfg.put("tickets", m[2]);
            scfg.put("session_cache", m[3]);
            long sctx = ss.ctx(scfg);
            long cctx = cs.ctx(client((String) m[0], (String) m[1]));
            End[] e = connect(cs, cctx, null, ss, sctx);
            e[1].send('P', "x".getBytes(StandardCharsets.UTF_8)); /* a TLS 1.3 ticket comes with data */
            settle(e[0], e[1]);
            Long session = getSession(e[0]);
            e[0].close();
            e[1].close();
            e = connect(cs, cctx, session, ss, sctx);
            Object resumed = e[0].neg == null ? null : e[0].neg.get("resumed");
            ok(m[4].equals(resumed) && e[1].neg != null && m[4].equals(e[1].neg.get("resumed")),
               "TLS " + m[0] + " resume " + m[1] + ", server tickets " + m[2] + " cache " + m[3] + ": resumed " + m[4],
               e[0].neg + " / " + e[1].neg);
            e[0].close();
            e[1].close();
        }
    }

    private static void clientAuth(Shim cs, Shim ss) throws IOException {
        Map<String, Object> scfg = server("rsa2048");
        scfg.put("client_auth", "require");
        scfg.put("client_ca_file", pki + "/root.pem");
        long sctx = ss.ctx(scfg);
        Map<String, Object> ccfg = client("1.3", "none");
        ccfg.put("cert_file", pki + "/client.chain.pem");
        ccfg.put("key_file", pki + "/client.key.pem");
        End[] e = connect(cs, cs.ctx(ccfg), null, ss, sctx);
        ok(e[0].neg != null && Boolean.TRUE.equals(e[0].neg.get("cert_requested"))
               && Boolean.TRUE.equals(e[0].neg.get("client_cert")) && Boolean.TRUE.equals(e[1].neg.get("client_cert")),
           "client certificate required and sent", e[0].neg + " / " + e[1].neg + e[0].err + e[1].err);
        e = connect(cs, cs.ctx(client("1.3", "none")), null, ss, sctx);
        ok(e[1].err != null && "certificate_required".equals(e[1].err.get("outcome")),
           "no client certificate where one is required: certificate_required", e[0].err + " / " + e[1].err);
    }
}
