package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// frameWriter writes whole frames to the driver's socket, one Write each, from any
// goroutine of the connection. After F, or once the socket fails, it writes nothing.
type frameWriter struct {
	mu    sync.Mutex
	sock  net.Conn
	ended bool
}

func (w *frameWriter) send(typ byte, payload []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return
	}
	b := make([]byte, 5+len(payload))
	b[0] = typ
	binary.BigEndian.PutUint32(b[1:5], uint32(len(payload)))
	copy(b[5:], payload)
	if _, err := w.sock.Write(b); err != nil {
		w.ended = true // the driver closed the connection: end silently
	}
	if typ == 'F' {
		w.ended = true
	}
}

func (w *frameWriter) count(typ byte, n uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	w.send(typ, b[:])
}

func (w *frameWriter) json(typ byte, v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(internalError(err.Error()))
		typ = 'F'
	}
	w.send(typ, b)
}

var errDriverGone = errors.New("the driver closed the connection")

// pipeConn is the net.Conn crypto/tls reads and writes: what it writes leaves as
// C frames; it reads the driver's C frames, and when it has read them all and asks
// for more it sends W with the count of frames consumed, then blocks.
type pipeConn struct {
	mu       sync.Mutex
	cond     *sync.Cond
	out      *frameWriter
	frames   [][]byte
	cur      []byte
	consumed uint64
	eof      bool // the driver sent E
	eofRead  bool // crypto/tls has been given that end of stream
	gone     bool // the driver closed the socket
	sniff    groupSniffer
	sniffIn  bool // a client sniffs what it reads, a server what it writes
}

func newPipe(out *frameWriter, client bool) *pipeConn {
	p := &pipeConn{out: out, sniffIn: client}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func (p *pipeConn) push(b []byte) {
	p.mu.Lock()
	p.frames = append(p.frames, b)
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *pipeConn) end(gone bool) {
	p.mu.Lock()
	if gone {
		p.gone = true
	} else {
		p.eof = true
	}
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *pipeConn) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	told := false
	for len(p.cur) == 0 {
		if len(p.frames) > 0 {
			p.cur, p.frames = p.frames[0], p.frames[1:]
			if len(p.cur) == 0 {
				p.consumed++ // an empty frame is consumed as it is taken
			}
			continue
		}
		switch {
		case p.gone:
			return 0, errDriverGone
		case p.eof:
			p.eofRead = true
			return 0, io.EOF
		case !told:
			// never write to the socket holding the lock: a driver blocked writing
			// to us would wait on the socket reader, which waits on this lock
			n := p.consumed
			p.mu.Unlock()
			p.out.count('W', n)
			p.mu.Lock()
			told = true
			continue // a frame may have come meanwhile
		}
		p.cond.Wait()
	}
	n := copy(b, p.cur)
	if p.sniffIn {
		p.sniff.feed(p.cur[:n])
	}
	p.cur = p.cur[n:]
	if len(p.cur) == 0 {
		p.consumed++
	}
	return n, nil
}

func (p *pipeConn) Write(b []byte) (int, error) {
	if !p.sniffIn {
		p.mu.Lock()
		p.sniff.feed(b)
		p.mu.Unlock()
	}
	p.out.send('C', b)
	return len(b), nil
}

// truncated says whether crypto/tls was handed the end of the stream: an io.EOF
// from it is then a close without close_notify, not the peer's close_notify.
func (p *pipeConn) truncated() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.eofRead
}

func (p *pipeConn) isGone() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gone
}

func (p *pipeConn) group() uint16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sniff.group()
}

type shimAddr struct{}

func (shimAddr) Network() string { return "tlsharness" }
func (shimAddr) String() string  { return "tlsharness-driver" }

func (p *pipeConn) Close() error                     { p.end(true); return nil }
func (p *pipeConn) LocalAddr() net.Addr              { return shimAddr{} }
func (p *pipeConn) RemoteAddr() net.Addr             { return shimAddr{} }
func (p *pipeConn) SetDeadline(time.Time) error      { return nil }
func (p *pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (p *pipeConn) SetWriteDeadline(time.Time) error { return nil }
