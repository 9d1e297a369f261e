import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/* One connection: the frames of the protocol over one UNIX socket, driving one
 * SSLEngine. Its thread takes a frame, lets the engine do all it can with it, and
 * answers; nothing happens that a frame did not start, so the driver's lockstep
 * stays deterministic. A second thread only moves frames from the socket to a queue
 * (see run()). */
final class ShimConnection implements Runnable {
    /* The key and trust managers learn of a connection only by its engine. */
    private static final Map<SSLEngine, ShimConnection> BY_ENGINE = new ConcurrentHashMap<>();
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final Frame END = new Frame('\0', new byte[0]);
    /* TLSHARNESS_SHIM_TRACE=FILE: every frame in and out, appended to FILE. */
    private static final String TRACE_FILE = System.getenv("TLSHARNESS_SHIM_TRACE");
    private static final boolean TRACE = TRACE_FILE != null && !TRACE_FILE.isEmpty();

    private final SocketChannel ch;
    private final TlsharnessShim shim;
    private final LinkedBlockingQueue<Frame> queue = new LinkedBlockingQueue<>();
    private ShimContext ctx;
    private SSLEngine engine;
    private TlsharnessShim.SessionRef peer; /* the client's cache key: host and port */
    private ByteBuffer netIn = ByteBuffer.allocate(1 << 15).limit(0); /* read mode */
    private ByteBuffer appIn = ByteBuffer.allocate(1 << 15);          /* write mode */
    private ByteBuffer netOut = ByteBuffer.allocate(1 << 15);         /* write mode */
    private final Wire wire = new Wire();
    private final ArrayDeque<Frame> pending = new ArrayDeque<>(); /* P, S, K before H */
    private long framesIn; /* C frames received */
    private long acked;    /* P, S and K frames done */
    private boolean finishing, handshakeDone, zSent, failed;
    private volatile X509Certificate[] peerChain;
    private volatile byte[] staple;
    private volatile boolean certRequested, clientCertSent;

    ShimConnection(SocketChannel ch, TlsharnessShim shim) {
        this.ch = ch;
        this.shim = shim;
    }

    static void notePeerChain(SSLEngine e, X509Certificate[] chain) {
        ShimConnection c = e == null ? null : BY_ENGINE.get(e);
        if (c != null)
            c.peerChain = chain.clone();
    }

    static void noteStaple(SSLEngine e, byte[] staple) {
        ShimConnection c = e == null ? null : BY_ENGINE.get(e);
        if (c != null)
            c.staple = staple;
    }

    static void noteCertificateRequest(SSLEngine e, boolean sent) {
        ShimConnection c = e == null ? null : BY_ENGINE.get(e);
        if (c != null) {
            c.certRequested = true;
            c.clientCertSent |= sent;
        }
    }

    private static final class Frame {
        final char type;
        final byte[] payload;

        Frame(char type, byte[] payload) {
            this.type = type;
            this.payload = payload;
        }
    }

    /* A thread of its own reads the socket into a queue, so the driver's writes never
     * wait on ours: a driver that feeds a long stream before it reads the P frames
     * back would otherwise block on a full socket while this thread blocks on its. */
    @Override
    public void run() {
        Thread reader = new Thread(this::readAll, "conn-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            start(read());
            for (Frame f; !failed && (f = read()) != null;)
                frame(f);
            while (read() != null) /* after F: the driver closes the socket at conn_free */
                ;
        } catch (IOException e) {
            /* the driver closed the socket (conn_free): end silently */
        } catch (RuntimeException e) {
            TlsharnessShim.log("connection: " + ShimError.text(e));
        } finally {
            if (engine != null)
                BY_ENGINE.remove(engine);
            try {
                ch.close();
            } catch (IOException e) {
                /* nothing left to tell */
            }
        }
    }

    private void readAll() {
        try {
            ByteBuffer h = ByteBuffer.allocate(5);
            while (fill(h)) {
                h.flip();
                char type = (char) (h.get() & 0xff);
                ByteBuffer p = ByteBuffer.allocate(h.getInt());
                h.clear();
                if (p.capacity() > 0 && !fill(p))
                    break;
                if (TRACE)
                    trace("<- " + type + " " + p.capacity());
                queue.add(new Frame(type, p.array()));
            }
        } catch (IOException e) {
            /* closed: conn_free, or our own end */
        } finally {
            queue.add(END);
        }
    }

    /* false at the end of the stream */
    private boolean fill(ByteBuffer b) throws IOException {
        while (b.hasRemaining())
            if (ch.read(b) < 0)
                return false;
        return true;
    }

    private Frame read() {
        try {
            Frame f = queue.take();
            return f == END ? null : f;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void trace(String s) {
        try (java.io.FileWriter w = new java.io.FileWriter(TRACE_FILE, true)) {
            w.write(System.nanoTime() / 1000 + " " + Integer.toHexString(hashCode()) + " " + s + "\n");
        } catch (IOException e) {
            /* tracing is best effort */
        }
    }

    private void send(char type, byte[] p, int off, int len) throws IOException {
        if (TRACE)
            trace("-> " + type + " " + len
                               + (type == 'W' || type == 'A' ? " " + ByteBuffer.wrap(p, off, 8).getLong() : ""));
        ByteBuffer b = ByteBuffer.allocate(5 + len);
        b.put((byte) type).putInt(len).put(p, off, len).flip();
        while (b.hasRemaining())
            ch.write(b);
    }

    private void send(char type, byte[] p) throws IOException {
        send(type, p, 0, p.length);
    }

    private void sendCount(char type, long n) throws IOException {
        send(type, ByteBuffer.allocate(8).putLong(n).array());
    }

    private void sendJson(char type, Object v) throws IOException {
        send(type, Json.write(v).getBytes(StandardCharsets.UTF_8));
    }

    private void fail(ShimError e) throws IOException {
        flushAlert();
        sendJson('F', e.json());
        failed = true;
    }

    /* N: the context, and for a client the cache key that decides what JSSE offers to
     * resume: the original's host and port for `session`, a fresh port otherwise. */
    private void start(Frame f) throws IOException {
        if (f == null)
            return;
        try {
            if (f.type != 'N')
                throw ShimError.config("first frame must be N, not " + f.type);
            Map<String, Object> n = Json.obj(Json.parse(new String(f.payload, StandardCharsets.UTF_8)));
            Long id = Json.num(n, "ctx");
            ctx = id == null ? null : shim.context(id);
            if (ctx == null)
                throw ShimError.config("no context " + id);
            Long sid = Json.num(n, "session");
            if (!ctx.server) {
                peer = sid == null ? null : shim.session(sid);
                if (sid != null && peer == null)
                    throw ShimError.config("no session " + sid);
                if (peer == null)
                    peer = new TlsharnessShim.SessionRef(ctx.hostname != null ? ctx.hostname : "shim.invalid", shim.nextPort());
            }
            engine = ctx.server ? ctx.engine(null, -1) : ctx.engine(peer.host, peer.port);
            BY_ENGINE.put(engine, this);
            engine.beginHandshake();
            pump();
        } catch (ShimError e) {
            fail(e);
        } catch (SSLException | RuntimeException e) {
            fail(ShimError.classify(e, peerChain, staple != null));
        }
    }

    private void frame(Frame f) throws IOException {
        try {
            switch (f.type) {
            case 'C':
                framesIn++;
                input(f.payload);
                pump();
                break;
            case 'E':
                endOfStream();
                break;
            case 'P': case 'S': case 'K':
                if (handshakeDone)
                    command(f);
                else
                    pending.add(f);
                break;
            case 'G':
                sendJson('g', Json.map("session", shim.keep(ctx, peer, engine)));
                break;
            default:
                throw ShimError.config("unknown frame type " + (int) f.type);
            }
        } catch (ShimError e) {
            fail(e);
        } catch (SSLException | RuntimeException e) {
            fail(ShimError.classify(e, peerChain, staple != null));
        }
    }

    private void command(Frame f) throws IOException, SSLException, ShimError {
        if (f.type == 'P') {
            ByteBuffer src = ByteBuffer.wrap(f.payload);
            while (src.hasRemaining() && !engine.isOutboundDone())
                wrap(src);
        } else if (f.type == 'S') {
            engine.closeOutbound();
            while (!engine.isOutboundDone())
                wrap(EMPTY);
        } else {
            /* On an established TLS 1.3 connection JSSE's beginHandshake is a
             * KeyUpdate that asks the peer to update too (update_requested). */
            if (!"TLSv1.3".equals(engine.getSession().getProtocol()))
                throw ShimError.config("KeyUpdate needs TLS 1.3, not " + engine.getSession().getProtocol());
            engine.beginHandshake();
            while (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP && !engine.isOutboundDone())
                wrap(EMPTY);
        }
        sendCount('A', ++acked);
    }

    private void input(byte[] p) {
        if (!ctx.server)
            wire.feed(p, 0, p.length);
        if (netIn.capacity() - netIn.remaining() < p.length) {
            ByteBuffer b = ByteBuffer.allocate(Math.max(netIn.capacity() * 2, netIn.remaining() + p.length));
            b.put(netIn).flip();
            netIn = b;
        }
        netIn.compact();
        netIn.put(p).flip();
    }

    /* E: the peer's transport ended. Without its close_notify JSSE calls that a
     * possible truncation attack: the outcome `truncated`. */
    private void endOfStream() throws IOException, SSLException {
        if (engine.isInboundDone())
            return;
        engine.closeInbound();
        /* closeInbound raises nothing before a handshake is under way (a server
         * that saw no ClientHello); the driver still waits for an answer to E. */
        if (!zSent)
            fail(ShimError.truncated("the transport ended without the peer's close_notify, before any handshake"));
    }

    /* Let the engine do all it can with the input it has; then W if it wants more. */
    private void pump() throws IOException, SSLException, ShimError {
        for (;;) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                for (Runnable t; (t = engine.getDelegatedTask()) != null;)
                    t.run();
                continue;
            }
            if (hs == HandshakeStatus.NEED_WRAP) {
                wrap(EMPTY);
                continue;
            }
            if (finishing)
                finished();
            if (engine.isInboundDone())
                return;
            if (!unwrap())
                break;
        }
        sendCount('W', framesIn);
    }

    /* One unwrap; false when the engine needs more ciphertext. */
    private boolean unwrap() throws IOException, SSLException {
        appIn.clear();
        SSLEngineResult r = engine.unwrap(netIn, appIn);
        switch (r.getStatus()) {
        case BUFFER_OVERFLOW:
            appIn = ByteBuffer.allocate(Math.max(appIn.capacity() * 2, engine.getSession().getApplicationBufferSize()));
            return true;
        case BUFFER_UNDERFLOW:
            return false;
        case CLOSED:
            if (!zSent)
                send('Z', new byte[0]);
            zSent = true;
            break;
        default:
            break;
        }
        if (appIn.position() > 0)
            send('P', appIn.array(), 0, appIn.position());
        if (r.getHandshakeStatus() == HandshakeStatus.FINISHED)
            finishing = true;
        HandshakeStatus h = r.getHandshakeStatus();
        return r.bytesConsumed() > 0 || r.bytesProduced() > 0 || h == HandshakeStatus.NEED_WRAP
            || h == HandshakeStatus.NEED_TASK || h == HandshakeStatus.FINISHED;
    }

    private void wrap(ByteBuffer src) throws IOException, SSLException {
        for (;;) {
            netOut.clear();
            SSLEngineResult r = engine.wrap(src, netOut);
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                netOut = ByteBuffer.allocate(Math.max(netOut.capacity() * 2, engine.getSession().getPacketBufferSize()));
                continue;
            }
            if (netOut.position() > 0) {
                if (ctx.server)
                    wire.feed(netOut.array(), 0, netOut.position());
                send('C', netOut.array(), 0, netOut.position());
            }
            if (r.getHandshakeStatus() == HandshakeStatus.FINISHED)
                finishing = true;
            return;
        }
    }

    /* After a fatal error JSSE holds the alert it means to send until the next wrap:
     * the peer should see it, as it would from a C backend. */
    private void flushAlert() {
        if (engine == null)
            return;
        try {
            for (int i = 0; i < 4 && !engine.isOutboundDone(); i++)
                wrap(EMPTY);
        } catch (IOException | RuntimeException e) {
            /* the alert is best effort; the failure is reported either way */
        }
    }

    /* The handshake completed: H, then whatever the driver sent meanwhile. A server
     * without a session cache forgets the session (JSSE caches every one; tickets,
     * which carry their own state, still resume). */
    private void finished() throws IOException, SSLException, ShimError {
        finishing = false;
        if (handshakeDone)
            return; /* a later post-handshake message */
        handshakeDone = true;
        if (ctx.server && !ctx.sessionCache)
            engine.getSession().invalidate();
        sendJson('H', negotiated());
        while (!pending.isEmpty())
            command(pending.poll());
    }

    private Map<String, Object> negotiated() {
        SSLSession s = engine.getSession();
        Integer suite = Iana.SUITES.get(s.getCipherSuite());
        String alpn = engine.getApplicationProtocol();
        boolean requested = ctx.server ? engine.getNeedClientAuth() || engine.getWantClientAuth() : certRequested;
        return Json.map("version", Iana.shortVersion(s.getProtocol()), "suite", suite == null ? 0 : suite,
                        "group", wire.group, "alpn", alpn == null ? "" : alpn, "resumed", wire.resumed,
                        "cert_requested", requested, "client_cert", ctx.server ? peerCertified(s) : clientCertSent,
                        "ocsp", "off".equals(ctx.ocsp) ? null : staple == null ? "none" : Staple.status(staple));
    }

    private static boolean peerCertified(SSLSession s) {
        try {
            Certificate[] c = s.getPeerCertificates();
            return c != null && c.length > 0;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }
}
