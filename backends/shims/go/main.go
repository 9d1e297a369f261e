// Command tlsharness-shim-go runs Go's crypto/tls for tlsharness out of process.
//
// The driver speaks JSON lines on standard input and output (the control channel:
// hello, ctx, ctx_free, session_free, quit) and frames on UNIX stream connections to
// the socket at argv[1], one per TLS connection. The spec is backends/README.md,
// "Shims: TLS stacks out of process". Standard output carries replies only; logs go
// to standard error.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"sync"
)

const protocolVersion = 1

// shim holds every context and resumable session of the process. Connections run
// in goroutines of their own, so both tables sit behind one mutex.
type shim struct {
	mu       sync.Mutex
	ctxs     map[int]*context
	sessions map[int]*session
	nextCtx  int
	nextSess int
}

func newShim() *shim {
	return &shim{ctxs: map[int]*context{}, sessions: map[int]*session{}}
}

func (s *shim) ctx(id int) *context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctxs[id]
}

func (s *shim) addCtx(c *context) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextCtx++
	s.ctxs[s.nextCtx] = c
	return s.nextCtx
}

func (s *shim) session(id int) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

func (s *shim) addSession(ss *session) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextSess++
	s.sessions[s.nextSess] = ss
	return s.nextSess
}

func (s *shim) free(table string, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if table == "ctx" {
		delete(s.ctxs, id)
	} else {
		delete(s.sessions, id)
	}
}

type request struct {
	Op       string          `json:"op"`
	Protocol int             `json:"protocol"`
	Config   json.RawMessage `json:"config"`
	Ctx      int             `json:"ctx"`
	Session  int             `json:"session"`
}

// handle answers one control request; quit reports true once its reply is due.
func (s *shim) handle(line []byte) (reply map[string]interface{}, quit bool) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return failReply(internalError("bad request: " + err.Error())), false
	}
	switch req.Op {
	case "hello":
		return map[string]interface{}{"ok": true, "protocol": protocolVersion, "name": "go",
			"library": "Go crypto/tls", "version": runtime.Version(), "caps": capabilities()}, false
	case "ctx":
		c, e := newContext(req.Config)
		if e != nil {
			return failReply(*e), false
		}
		return map[string]interface{}{"ok": true, "ctx": s.addCtx(c)}, false
	case "ctx_free":
		s.free("ctx", req.Ctx)
	case "session_free":
		s.free("session", req.Session)
	case "quit":
		return map[string]interface{}{"ok": true}, true
	default:
		return failReply(internalError(fmt.Sprintf("unknown op %q", req.Op))), false
	}
	return map[string]interface{}{"ok": true}, false
}

func failReply(e shimError) map[string]interface{} {
	return map[string]interface{}{"ok": false, "error": e}
}

// control reads requests until quit or the end of standard input; either ends the
// process, so a driver that dies takes its shim with it.
func (s *shim) control(in io.Reader, out io.Writer) {
	r := bufio.NewReaderSize(in, 64<<10)
	enc := json.NewEncoder(out)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[0] != '\n' {
			reply, quit := s.handle(line)
			if werr := enc.Encode(reply); werr != nil {
				log.Printf("writing a reply: %v", werr)
				return
			}
			if quit {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *shim) accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go s.serveConn(c)
	}
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("tlsharness-shim-go: ")
	log.SetOutput(os.Stderr)
	if len(os.Args) != 2 {
		log.Fatal("usage: tlsharness-shim-go SOCKET_PATH")
	}
	path := os.Args[1]
	_ = os.Remove(path) // a stale socket of an earlier run would make Listen fail
	l, err := net.Listen("unix", path)
	if err != nil {
		log.Fatal(err)
	}
	s := newShim()
	go s.accept(l)
	s.control(os.Stdin, os.Stdout)
	l.Close()
	os.Remove(path)
}
