package main

import "bytes"

// groupSniffer reads the key exchange group from the server's plaintext flight,
// since crypto/tls 1.19's ConnectionState does not say it: the TLS 1.3 ServerHello
// key_share (or a HelloRetryRequest's), or the TLS 1.2 ServerKeyExchange's named
// curve. A client feeds it the bytes it reads, a server the bytes it writes.
type groupSniffer struct {
	rec  []byte // unparsed record bytes
	hs   []byte // handshake messages' bytes
	hrr  bool   // a HelloRetryRequest came: a CCS and a second ServerHello follow
	done bool
	grp  uint16
}

var hrrRandom = []byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

func (g *groupSniffer) feed(b []byte) {
	if g.done {
		return
	}
	g.rec = append(g.rec, b...)
	for !g.done && len(g.rec) >= 5 {
		n := int(g.rec[3])<<8 | int(g.rec[4])
		if len(g.rec) < 5+n {
			return
		}
		typ, body := g.rec[0], g.rec[5:5+n]
		g.rec = g.rec[5+n:]
		switch {
		case typ == 22:
			g.hs = append(g.hs, body...)
			g.messages()
		case typ == 20 && g.hrr:
			// TLS 1.3 middlebox compatibility after a HelloRetryRequest
		default:
			g.done = true // encrypted from here on
		}
	}
	if g.done {
		g.rec, g.hs = nil, nil
	}
}

func (g *groupSniffer) messages() {
	for !g.done && len(g.hs) >= 4 {
		n := int(g.hs[1])<<16 | int(g.hs[2])<<8 | int(g.hs[3])
		if len(g.hs) < 4+n {
			return
		}
		typ, body := g.hs[0], g.hs[4:4+n]
		g.hs = g.hs[4+n:]
		switch typ {
		case 2:
			g.serverHello(body)
		case 12:
			// ECParameters: curve_type named_curve (3), then the curve's id
			if len(body) >= 3 && body[0] == 3 {
				g.grp = uint16(body[1])<<8 | uint16(body[2])
			}
			g.done = true
		case 14, 20:
			g.done = true // ServerHelloDone, Finished: no key exchange message
		}
	}
}

func (g *groupSniffer) serverHello(b []byte) {
	if len(b) < 35 {
		g.done = true
		return
	}
	g.hrr = bytes.Equal(b[2:34], hrrRandom)
	p := 34 + 1 + int(b[34]) + 3 // session id, cipher suite, compression
	if len(b) < p+2 {
		return // no extensions: TLS 1.2, the group comes in ServerKeyExchange
	}
	ext := b[p+2:]
	tls13 := false
	for len(ext) >= 4 {
		typ := int(ext[0])<<8 | int(ext[1])
		n := int(ext[2])<<8 | int(ext[3])
		if len(ext) < 4+n {
			break
		}
		data := ext[4 : 4+n]
		ext = ext[4+n:]
		if typ == 51 && len(data) >= 2 {
			g.grp = uint16(data[0])<<8 | uint16(data[1])
		}
		if typ == 43 {
			tls13 = true
		}
	}
	// a TLS 1.3 ServerHello ends the plaintext; its key_share is the group (none
	// on a psk_ke resumption)
	if tls13 && !g.hrr {
		g.done = true
	}
}

func (g *groupSniffer) group() uint16 { return g.grp }
