package main

import (
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
)

// session is a client's resumable state, named to the driver by a number.
type session struct{ state *tls.ClientSessionState }

// connCache is a client connection's own ClientSessionCache: it offers exactly the
// session the N frame named (whatever the key) and keeps the newest one the server
// gave, for G.
type connCache struct {
	mu     sync.Mutex
	offer  *tls.ClientSessionState
	latest *tls.ClientSessionState
}

func (c *connCache) Get(string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offer, c.offer != nil
}

func (c *connCache) Put(_ string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs != nil { // nil evicts a session that did not resume: keep the newest real one
		c.latest = cs
	}
}

func (c *connCache) newest() *tls.ClientSessionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest
}

type frame struct {
	typ     byte
	payload []byte
}

func readFrame(r io.Reader) (frame, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return frame{}, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > 64<<20 {
		return frame{}, fmt.Errorf("a frame of %d bytes", n)
	}
	f := frame{typ: h[0], payload: make([]byte, n)}
	_, err := io.ReadFull(r, f.payload)
	return f, err
}

// commands is an unbounded queue of the driver's P, S, K and G frames, so the
// socket reader never waits on a write in progress and C frames keep flowing.
type commands struct {
	mu     sync.Mutex
	cond   *sync.Cond
	q      []frame
	closed bool
}

func (c *commands) put(f frame, closed bool) {
	c.mu.Lock()
	if closed {
		c.closed = true
	} else {
		c.q = append(c.q, f)
	}
	c.mu.Unlock()
	c.cond.Broadcast()
}

func (c *commands) take() (frame, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.q) == 0 && !c.closed {
		c.cond.Wait()
	}
	if len(c.q) == 0 {
		return frame{}, false
	}
	f := c.q[0]
	c.q = c.q[1:]
	return f, true
}

// tconn is one TLS connection the driver opened.
type tconn struct {
	s     *shim
	ctx   *context
	out   *frameWriter
	pipe  *pipeConn
	cmds  *commands
	tls   *tls.Conn
	cache *connCache
	mu    sync.Mutex
	sent  bool // client: a certificate was sent
	asked bool // client: the server asked for one
}

func (s *shim) serveConn(sock net.Conn) {
	defer sock.Close()
	out := &frameWriter{sock: sock}
	first, err := readFrame(sock)
	if err != nil || first.typ != 'N' {
		log.Printf("a connection without its N frame: %v", err)
		return
	}
	var n struct {
		Ctx     int  `json:"ctx"`
		Session *int `json:"session"`
	}
	if err := json.Unmarshal(first.payload, &n); err != nil {
		out.json('F', internalError("bad N frame: "+err.Error()))
		return
	}
	ctx := s.ctx(n.Ctx)
	if ctx == nil {
		out.json('F', internalError(fmt.Sprintf("no context %d", n.Ctx)))
		return
	}
	c := &tconn{s: s, ctx: ctx, out: out, pipe: newPipe(out, ctx.client)}
	c.cmds = &commands{}
	c.cmds.cond = sync.NewCond(&c.cmds.mu)
	if e := c.start(n.Session); e != nil {
		out.json('F', *e)
		return
	}
	go c.readSocket(sock)
	c.run()
}

// start makes the crypto/tls connection: a client gets its own copy of the
// context's config with its own session cache.
func (c *tconn) start(sessionID *int) *shimError {
	if !c.ctx.client {
		c.tls = tls.Server(c.pipe, c.ctx.tls)
		return nil
	}
	c.cache = &connCache{}
	if sessionID != nil {
		ss := c.s.session(*sessionID)
		if ss == nil {
			return refuse("no session %d", *sessionID)
		}
		c.cache.offer = ss.state
	}
	cfg := c.ctx.tls.Clone()
	cfg.ClientSessionCache = c.cache
	cfg.GetClientCertificate = c.clientCertificate
	c.tls = tls.Client(c.pipe, cfg)
	return nil
}

// clientCertificate is crypto/tls's own choice (the first certificate the
// CertificateRequest accepts, else none), noting that the server asked.
func (c *tconn) clientCertificate(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = true
	for i := range c.ctx.tls.Certificates {
		cert := &c.ctx.tls.Certificates[i]
		if cri.SupportsCertificate(cert) == nil {
			c.sent = true
			return cert, nil
		}
	}
	return new(tls.Certificate), nil
}

// readSocket hands the driver's frames on: C and E to crypto/tls's transport, the
// rest to the command loop. The socket's end ends the connection silently.
func (c *tconn) readSocket(sock net.Conn) {
	for {
		f, err := readFrame(sock)
		if err != nil {
			c.pipe.end(true)
			c.cmds.put(frame{}, true)
			return
		}
		switch f.typ {
		case 'C':
			c.pipe.push(f.payload)
		case 'E':
			c.pipe.end(false)
		default:
			c.cmds.put(f, false)
		}
	}
}

func (c *tconn) run() {
	if err := c.tls.Handshake(); err != nil {
		c.fail(err)
		c.drain()
		return
	}
	c.out.json('H', c.negotiated())
	go c.readData()
	c.commandLoop()
}

// drain waits for the driver to close the socket after an F.
func (c *tconn) drain() {
	for {
		if _, ok := c.cmds.take(); !ok {
			return
		}
	}
}

func (c *tconn) fail(err error) {
	if c.pipe.isGone() {
		return
	}
	e := mapError(err)
	if e.Outcome == "truncated" {
		e.Text = "the transport ended without close_notify (crypto/tls: " + err.Error() + ")"
	}
	c.out.json('F', e)
}

// readData reads application data after the handshake: P as it comes, Z at the
// peer's close_notify, F on a failure (crypto/tls's io.EOF after the transport's
// own end is a truncation). Blocking reads send W through the pipe.
func (c *tconn) readData() {
	buf := make([]byte, 16384)
	for {
		n, err := c.tls.Read(buf)
		if n > 0 {
			c.out.send('P', buf[:n])
		}
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) && !c.pipe.truncated() {
			c.out.send('Z', nil)
		} else {
			c.fail(err)
		}
		return
	}
}

func (c *tconn) commandLoop() {
	var done uint64
	for {
		f, ok := c.cmds.take()
		if !ok {
			return
		}
		switch f.typ {
		case 'P':
			if _, err := c.tls.Write(f.payload); err != nil {
				c.fail(err)
				c.drain()
				return
			}
		case 'S':
			if err := c.tls.CloseWrite(); err != nil {
				c.fail(err)
				c.drain()
				return
			}
		case 'G':
			c.out.json('g', map[string]interface{}{"session": c.sessionID()})
			continue
		default: // K among them: key_update is not declared (crypto/tls 1.19 cannot send one)
			c.out.json('F', internalError(fmt.Sprintf("frame %q is not supported by this shim", f.typ)))
			c.drain()
			return
		}
		done++
		c.out.count('A', done)
	}
}

func (c *tconn) sessionID() interface{} {
	if c.cache == nil {
		return nil
	}
	st := c.cache.newest()
	if st == nil {
		return nil
	}
	return c.s.addSession(&session{state: st})
}

func (c *tconn) negotiated() map[string]interface{} {
	cs := c.tls.ConnectionState()
	c.mu.Lock()
	asked, sent := c.asked, c.sent
	c.mu.Unlock()
	if !c.ctx.client {
		asked, sent = c.ctx.clientCA, len(cs.PeerCertificates) > 0
	}
	return map[string]interface{}{
		"version":        versionNames[cs.Version],
		"suite":          cs.CipherSuite,
		"group":          c.pipe.group(),
		"alpn":           cs.NegotiatedProtocol,
		"resumed":        cs.DidResume,
		"cert_requested": asked,
		"client_cert":    sent,
		"ocsp":           nil, // the client never judges a staple (ocsp_request is not declared)
	}
}
