import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/* The JSSE shim: `java -cp DIR TlsharnessShim SOCKET_PATH`. The control channel (JSON
 * lines) on standard input and output, connections (frames) on the UNIX socket it
 * listens on; it exits when standard input closes. Standard output carries replies
 * only: everything else, JSSE's own debug output included, goes to standard error. */
public final class TlsharnessShim {
    static final int PROTOCOL = 1;
    static final List<String> VERSIONS = Arrays.asList("1.0", "1.1", "1.2", "1.3");
    /* What allowLegacyVersions() changed, for the caps' defaults_changed. */
    private static String legacyChange = "";

    private final Map<Long, ShimContext> contexts = new ConcurrentHashMap<>();
    private final Map<Long, SessionRef> sessions = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    /* Client cache keys: every connection that resumes nothing gets a port no other
     * connection had, so JSSE's host:port cache offers nothing by accident. */
    private final AtomicLong nextPort = new AtomicLong(1);
    private volatile boolean quitting;

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java -cp DIR TlsharnessShim SOCKET_PATH");
            System.exit(2);
        }
        PrintStream replies = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        System.setOut(System.err);
        allowLegacyVersions();
        Path path = Paths.get(args[0]);
        TlsharnessShim shim = new TlsharnessShim();
        shim.listen(path);
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = requests.readLine()) != null;) {
            if (line.isBlank())
                continue;
            Map<String, Object> reply = shim.request(line);
            replies.print(Json.write(reply) + "\n");
            replies.flush();
            if (shim.quitting)
                break;
        }
        Files.deleteIfExists(path);
        System.exit(0);
    }

    /* JDK 17 lists TLSv1 and TLSv1.1 in jdk.tls.disabledAlgorithms. They come off
     * that list before JSSE first reads it, so a context that asks for TLS 1.0 or 1.1
     * can have them (as the OpenSSL backend lowers its level only then); every engine
     * still enables only the versions its context asks for. */
    static void allowLegacyVersions() {
        String key = "jdk.tls.disabledAlgorithms";
        String was = java.security.Security.getProperty(key);
        if (was == null)
            return;
        List<String> kept = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        for (String t : was.split(","))
            (t.trim().equals("TLSv1") || t.trim().equals("TLSv1.1") ? dropped : kept).add(t.trim());
        if (dropped.isEmpty())
            return;
        java.security.Security.setProperty(key, String.join(", ", kept));
        legacyChange = String.join(" and ", dropped) + " taken off jdk.tls.disabledAlgorithms: a context"
            + " asking for TLS 1.0 or 1.1 can negotiate them (others enable only the versions asked)";
    }

    static void log(String s) {
        System.err.println("tlsharness-shim-java: " + s);
    }

    private void listen(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Thread t = new Thread(() -> {
            try {
                for (;;) {
                    SocketChannel ch = server.accept();
                    Thread c = new Thread(new ShimConnection(ch, this), "conn");
                    c.setDaemon(true);
                    c.start();
                }
            } catch (IOException e) {
                log("listener: " + e);
            }
        }, "listener");
        t.setDaemon(true);
        t.start();
    }

    /* One control request, one reply. */
    private Map<String, Object> request(String line) {
        try {
            Map<String, Object> req = Json.obj(Json.parse(line));
            String op = Json.str(req, "op");
            switch (op == null ? "" : op) {
            case "hello":
                return hello(req);
            case "ctx": {
                ShimContext c = ShimContext.create(Json.obj(req.get("config")));
                long id = nextId.getAndIncrement();
                contexts.put(id, c);
                return Json.map("ok", true, "ctx", id);
            }
            case "ctx_free":
                contexts.remove(Json.num(req, "ctx"));
                return Json.map("ok", true);
            case "session_free":
                sessions.remove(Json.num(req, "session"));
                return Json.map("ok", true);
            case "quit":
                return quit();
            default:
                throw ShimError.config("unknown op " + op);
            }
        } catch (ShimError e) {
            return Json.map("ok", false, "error", e.json());
        } catch (RuntimeException e) {
            return Json.map("ok", false, "error", ShimError.of(e, "internal_error").json());
        }
    }

    private Map<String, Object> quit() {
        quitting = true;
        return Json.map("ok", true);
    }

    private Map<String, Object> hello(Map<String, Object> req) throws ShimError {
        Long p = Json.num(req, "protocol");
        if (p == null || p != PROTOCOL)
            throw ShimError.config("protocol " + p + " not spoken (this shim speaks " + PROTOCOL + ")");
        return Json.map("ok", true, "protocol", PROTOCOL, "name", "java", "library", "Java JSSE (SunJSSE)",
                        "version", version(), "caps", caps());
    }

    static String version() {
        return System.getProperty("java.runtime.name", "Java") + " " + System.getProperty("java.runtime.version", "?");
    }

    static Map<String, Object> caps() {
        List<Object> features = new ArrayList<>(Arrays.asList(
            "alpn", "crl", "sni", "hostname", "ip_san", "restrict_versions", "restrict_suites",
            "server_order", "client_order", "truncation", "client_cert", "client_auth", "key_update", "ocsp_request",
            "ocsp_require"));
        if (ShimContext.SET_NAMED_GROUPS != null)
            features.add("restrict_groups");
        return Json.map("roles", Arrays.asList("client", "server"), "versions", new ArrayList<Object>(VERSIONS),
                        "suites", new ArrayList<Object>(Iana.SUITES.values()),
                        "groups", new ArrayList<Object>(Iana.GROUPS.values()),
                        "resume", Arrays.asList("ticket", "session_id"), "features", features,
                        "defaults_changed", defaultsChanged());
    }

    private static List<Object> defaultsChanged() {
        List<Object> out = new ArrayList<>();
        out.add("a client presents its certificate whatever CA names the server's CertificateRequest lists"
                + " (JSSE's own key managers send none when its issuer is not among them)");
        if (!legacyChange.isEmpty())
            out.add(legacyChange);
        return out;
    }

    ShimContext context(long id) {
        return contexts.get(id);
    }

    SessionRef session(long id) {
        return sessions.get(id);
    }

    int nextPort() {
        return (int) (nextPort.getAndIncrement() % Integer.MAX_VALUE);
    }

    /* G: the session a later N can resume, when JSSE's client cache holds one under
     * this connection's host:port (after TLS 1.3 NewSessionTicket, or a TLS 1.2
     * handshake); null otherwise. */
    Long keep(ShimContext ctx, SessionRef peer, SSLEngine engine) {
        if (ctx == null || ctx.server || peer == null)
            return null;
        SSLSessionContext sc = ctx.ssl.getClientSessionContext();
        for (Enumeration<byte[]> ids = sc.getIds(); ids.hasMoreElements();) {
            SSLSession s = sc.getSession(ids.nextElement());
            if (s != null && s.isValid() && peer.host.equalsIgnoreCase(s.getPeerHost()) && s.getPeerPort() == peer.port) {
                long id = nextId.getAndIncrement();
                sessions.put(id, peer);
                return id;
            }
        }
        return null;
    }

    /* A client session as JSSE finds it again: the host and port it was cached under. */
    static final class SessionRef {
        final String host;
        final int port;

        SessionRef(String host, int port) {
            this.host = host;
            this.port = port;
        }
    }
}
