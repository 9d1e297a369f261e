package main

// The self-test runs a client and a server of this shim against each other
// through the frame protocol as the driver does: the control channel over pipes,
// two sockets to the shim's listener, N frames, the C frames of each relayed to the
// other, W / H / P / Z / A / F / g read back.

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// pki is the test PKI (`tlsharness pki DIR` writes one): $TLSHARNESS_PKI, else the
// checkout's results/pki.
var pki = func() string {
	if d := os.Getenv("TLSHARNESS_PKI"); d != "" {
		return d + "/"
	}
	return "../../../results/pki/"
}()

type harness struct {
	t    *testing.T
	path string
	in   io.WriteCloser
	out  *bufio.Reader
}

func startShim(t *testing.T) *harness {
	if _, err := os.Stat(pki + "root.pem"); err != nil {
		t.Skipf("no test PKI at %s", pki)
	}
	path := filepath.Join(t.TempDir(), "shim.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	s := newShim()
	go s.accept(l)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	go func() { s.control(inR, outW); outW.Close() }()
	t.Cleanup(func() { inW.Close(); l.Close() })
	return &harness{t: t, path: path, in: inW, out: bufio.NewReader(outR)}
}

func (h *harness) call(req map[string]interface{}) map[string]interface{} {
	h.t.Helper()
	b, _ := json.Marshal(req)
	if _, err := h.in.Write(append(b, '\n')); err != nil {
		h.t.Fatal(err)
	}
	line, err := h.out.ReadBytes('\n')
	if err != nil {
		h.t.Fatal(err)
	}
	var reply map[string]interface{}
	if err := json.Unmarshal(line, &reply); err != nil {
		h.t.Fatalf("reply %q: %v", line, err)
	}
	return reply
}

func (h *harness) ctx(cfg map[string]interface{}) int {
	h.t.Helper()
	r := h.call(map[string]interface{}{"op": "ctx", "config": cfg})
	if r["ok"] != true {
		h.t.Fatalf("ctx refused: %v", r)
	}
	return int(r["ctx"].(float64))
}

func serverCfg(leaf string, versions ...string) map[string]interface{} {
	return map[string]interface{}{"role": "server", "versions": versions,
		"cert_file": pki + leaf + ".chain.pem", "key_file": pki + leaf + ".key.pem",
		"tickets": true, "session_cache": true, "prefer_server_order": true}
}

func clientCfg(versions ...string) map[string]interface{} {
	return map[string]interface{}{"role": "client", "versions": versions, "ca_file": pki + "root.pem",
		"hostname": "localhost", "sni": "localhost", "verify": true, "resume": "ticket"}
}

// side is one driver-side connection: frames other than C land in events.
type side struct {
	t      *testing.T
	name   string
	sock   net.Conn
	wmu    sync.Mutex
	mu     sync.Mutex
	fed    uint64
	lastW  int64 // the count of the last W read, -1 before any
	events chan frame
}

func (h *harness) dial(name string, ctx int, session interface{}) *side {
	sock, err := net.Dial("unix", h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { sock.Close() })
	s := &side{t: h.t, name: name, sock: sock, lastW: -1, events: make(chan frame, 1024)}
	n, _ := json.Marshal(map[string]interface{}{"ctx": ctx, "session": session})
	s.send('N', n)
	return s
}

func (s *side) send(typ byte, payload []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	b := make([]byte, 5+len(payload))
	b[0] = typ
	binary.BigEndian.PutUint32(b[1:], uint32(len(payload)))
	copy(b[5:], payload)
	if typ == 'C' {
		s.mu.Lock()
		s.fed++
		s.mu.Unlock()
	}
	if _, err := s.sock.Write(b); err != nil {
		s.t.Logf("%s: send %c: %v", s.name, typ, err)
	}
}

// pump relays a's C frames to b (nil: dropped) and keeps the rest.
func (s *side) pump(peer *side) {
	for {
		f, err := readFrame(s.sock)
		if err != nil {
			close(s.events)
			return
		}
		if f.typ == 'C' {
			if peer != nil {
				peer.send('C', f.payload)
			}
			continue
		}
		s.events <- f
	}
}

func pair(h *harness, cctx, sctx int, session interface{}) (*side, *side) {
	srv := h.dial("server", sctx, nil)
	cli := h.dial("client", cctx, session)
	go srv.pump(cli)
	go cli.pump(srv)
	return cli, srv
}

// next returns the next frame of type typ, skipping W and A; an F where none is
// wanted fails the test with its error.
func (s *side) next(typ byte) frame {
	s.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-s.events:
			if !ok {
				s.t.Fatalf("%s: connection closed waiting for %c", s.name, typ)
			}
			if f.typ == 'W' {
				s.lastW = int64(binary.BigEndian.Uint64(f.payload))
			}
			if f.typ == typ {
				return f
			}
			if f.typ == 'F' {
				s.t.Fatalf("%s: F %s waiting for %c", s.name, f.payload, typ)
			}
			if f.typ != 'W' && f.typ != 'A' {
				s.t.Fatalf("%s: %c %q waiting for %c", s.name, f.typ, f.payload, typ)
			}
		case <-timeout:
			s.t.Fatalf("%s: timeout waiting for %c", s.name, typ)
		}
	}
}

// idle waits for a W saying every C frame fed has been consumed (a shim sends one
// W each time it blocks: it may have come already).
func (s *side) idle() {
	s.t.Helper()
	for {
		s.mu.Lock()
		fed := s.fed
		s.mu.Unlock()
		if s.lastW == int64(fed) {
			return
		}
		s.next('W')
	}
}

func jsonOf(t *testing.T, f frame) map[string]interface{} {
	var m map[string]interface{}
	if err := json.Unmarshal(f.payload, &m); err != nil {
		t.Fatalf("%c %q: %v", f.typ, f.payload, err)
	}
	return m
}

func handshake(t *testing.T, cli, srv *side) (map[string]interface{}, map[string]interface{}) {
	return jsonOf(t, cli.next('H')), jsonOf(t, srv.next('H'))
}

// exchange sends data both ways, as the driver writes P and waits for A.
func exchange(t *testing.T, cli, srv *side) {
	cli.send('P', []byte("GET / HTTP/1.1\r\n\r\n"))
	cli.next('A')
	if got := string(srv.next('P').payload); got != "GET / HTTP/1.1\r\n\r\n" {
		t.Fatalf("server read %q", got)
	}
	srv.send('P', []byte("HTTP/1.1 200 OK\r\n\r\n"))
	srv.next('A')
	if got := string(cli.next('P').payload); got != "HTTP/1.1 200 OK\r\n\r\n" {
		t.Fatalf("client read %q", got)
	}
}

func TestControl(t *testing.T) {
	h := startShim(t)
	r := h.call(map[string]interface{}{"op": "hello", "protocol": 1})
	if r["ok"] != true || r["name"] != "go" || r["protocol"].(float64) != 1 || r["caps"] == nil {
		t.Fatalf("hello: %v", r)
	}
	r = h.call(map[string]interface{}{"op": "nonsense"})
	if e, _ := r["error"].(map[string]interface{}); r["ok"] != false || e["outcome"] != "internal_error" {
		t.Fatalf("unknown op: %v", r)
	}
	cfg := clientCfg("1.0", "1.3")
	r = h.call(map[string]interface{}{"op": "ctx", "config": cfg})
	if r["ok"] != false {
		t.Fatalf("a version set with a hole was taken: %v", r)
	}
	cfg = clientCfg("1.3")
	cfg["suites"] = []int{0x1301}
	if r = h.call(map[string]interface{}{"op": "ctx", "config": cfg}); r["ok"] != false {
		t.Fatalf("a single TLS 1.3 suite was taken: %v", r)
	}
}

func TestHandshake(t *testing.T) {
	for _, v := range []string{"1.2", "1.3"} {
		t.Run(v, func(t *testing.T) {
			h := startShim(t)
			cli, srv := pair(h, h.ctx(clientCfg(v)), h.ctx(serverCfg("rsa2048", v)), nil)
			cn, sn := handshake(t, cli, srv)
			for _, n := range []map[string]interface{}{cn, sn} {
				if n["version"] != v || n["suite"].(float64) == 0 || n["group"].(float64) != 29 || n["resumed"] != false {
					t.Fatalf("negotiated %v", n)
				}
			}
			if cn["suite"] != sn["suite"] {
				t.Fatalf("suites differ: %v %v", cn, sn)
			}
			exchange(t, cli, srv)
			srv.idle()
			cli.send('S', nil)
			cli.next('A')
			srv.next('Z')
			srv.send('S', nil)
			srv.next('A')
			cli.next('Z')
		})
	}
}

func TestResumeTicket(t *testing.T) {
	for _, v := range []string{"1.2", "1.3"} {
		t.Run(v, func(t *testing.T) {
			h := startShim(t)
			cctx, sctx := h.ctx(clientCfg(v)), h.ctx(serverCfg("rsa2048", v))
			cli, srv := pair(h, cctx, sctx, nil)
			handshake(t, cli, srv)
			exchange(t, cli, srv)
			cli.send('G', nil)
			sess := jsonOf(t, cli.next('g'))["session"]
			if sess == nil {
				t.Fatal("no session to resume")
			}
			cli, srv = pair(h, cctx, sctx, sess)
			cn, sn := handshake(t, cli, srv)
			if cn["resumed"] != true || sn["resumed"] != true {
				t.Fatalf("not resumed: %v %v", cn, sn)
			}
			exchange(t, cli, srv)
		})
	}
}

func TestNoTickets(t *testing.T) {
	h := startShim(t)
	scfg := serverCfg("rsa2048", "1.3")
	scfg["tickets"] = false
	cli, srv := pair(h, h.ctx(clientCfg("1.3")), h.ctx(scfg), nil)
	handshake(t, cli, srv)
	exchange(t, cli, srv)
	cli.send('G', nil)
	if s := jsonOf(t, cli.next('g'))["session"]; s != nil {
		t.Fatalf("a server without tickets gave a session: %v", s)
	}
}

func refusal(t *testing.T, leaf, want string) {
	h := startShim(t)
	cli, srv := pair(h, h.ctx(clientCfg("1.2", "1.3")), h.ctx(serverCfg(leaf, "1.2", "1.3")), nil)
	e := jsonOf(t, cli.next('F'))
	if e["outcome"] != want {
		t.Fatalf("%s: client says %v, want %s", leaf, e, want)
	}
	// the server hears Go's alert for every refused chain: bad_certificate (42)
	if e := jsonOf(t, srv.next('F')); e["code"].(float64) != 42 {
		t.Fatalf("%s: server says %v", leaf, e)
	}
}

func TestRefusals(t *testing.T) {
	for leaf, want := range map[string]string{"expired": "expired", "untrusted-chain": "unknown_ca",
		"no-intermediate": "incomplete_chain", "self-signed": "self_signed", "wrong-host": "hostname_mismatch"} {
		t.Run(leaf, func(t *testing.T) { refusal(t, leaf, want) })
	}
}

func TestTruncation(t *testing.T) {
	h := startShim(t)
	cli, srv := pair(h, h.ctx(clientCfg("1.3")), h.ctx(serverCfg("rsa2048", "1.3")), nil)
	handshake(t, cli, srv)
	exchange(t, cli, srv)
	cli.idle()
	cli.send('E', nil) // the transport ended, no close_notify came
	if e := jsonOf(t, cli.next('F')); e["outcome"] != "truncated" {
		t.Fatalf("truncation read as %v", e)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "shim self-test failed")
	}
	os.Exit(code)
}
