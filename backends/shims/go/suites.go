package main

import (
	"crypto/tls"
	"fmt"
)

// Go orders suites itself: Config.CipherSuites is a set ("the order of the list is
// ignored") and TLS 1.3 suites cannot be configured at all. So a list is honoured
// exactly only when it is what Go would do anyway: TLS 1.0-1.2 suites Go has, listed
// in Go's own preference order (a one-suite list always is), and, when TLS 1.3 stays
// in the versions, all of Go's TLS 1.3 suites. Anything else is refused, never
// silently widened or reordered.

// goPreference12 is crypto/tls's cipherSuitesPreferenceOrder (Go 1.19, with AES-GCM
// hardware: amd64 with AES-NI and PCLMULQDQ, arm64 with AES and PMULL).
var goPreference12 = []uint16{
	0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,
	0xC009, 0xC013, 0xC00A, 0xC014,
	0x009C, 0x009D, 0x002F, 0x0035,
	0xC012, 0x000A,
	0xC023, 0xC027, 0x003C,
	0xC007, 0xC011, 0x0005,
}

// goSuites13 is every TLS 1.3 suite Go has; it always offers and accepts all three.
var goSuites13 = []uint16{0x1301, 0x1302, 0x1303}

var versionIDs = map[string]uint16{
	"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13,
}

var versionNames = map[uint16]string{
	tls.VersionTLS10: "1.0", tls.VersionTLS11: "1.1", tls.VersionTLS12: "1.2", tls.VersionTLS13: "1.3",
}

func is13(id uint16) bool { return id >= 0x1301 && id <= 0x1305 }

func indexOf(list []uint16, id uint16) int {
	for i, v := range list {
		if v == id {
			return i
		}
	}
	return -1
}

// allSuites is what caps() declares: every suite crypto/tls can negotiate when
// asked, the insecure ones included (they still need listing to be offered).
func allSuites() []uint16 {
	out := append([]uint16{}, goSuites13...)
	return append(out, goPreference12...)
}

// setVersionsAndSuites sets the version range and the TLS 1.0-1.2 suite set. Like
// the in-process backends (th_versions_effective), the top version is cut to the
// highest one the suite list has a suite for.
func (c *context) setVersionsAndSuites(w *wireConfig) *shimError {
	var set []uint16
	for _, name := range w.Versions {
		v, ok := versionIDs[name]
		if !ok {
			return refuse("crypto/tls has no TLS %s", name)
		}
		set = append(set, v)
	}
	var lo, hi uint16
	for _, v := range set {
		if lo == 0 || v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	if lo == 0 {
		return refuse("no versions")
	}
	if int(hi-lo)+1 != len(set) {
		return refuse("crypto/tls takes a version range, not a set with a hole (%v)", w.Versions)
	}
	hi = effectiveTop(lo, hi, w.Suites)
	c.tls.MinVersion, c.tls.MaxVersion = lo, hi
	if len(w.Suites) == 0 {
		return nil
	}
	return c.setSuites(w.Suites, hi)
}

func effectiveTop(lo, hi uint16, suites []uint16) uint16 {
	if len(suites) == 0 {
		return hi
	}
	top := uint16(0)
	for _, id := range suites {
		if is13(id) {
			top = tls.VersionTLS13
		} else if top == 0 {
			top = tls.VersionTLS12
		}
	}
	if top < lo || top > hi {
		return hi // nothing runnable: the peer will see Go's own refusal
	}
	return top
}

func (c *context) setSuites(list []uint16, top uint16) *shimError {
	var s12, s13 []uint16
	for _, id := range list {
		if is13(id) {
			s13 = append(s13, id)
		} else {
			s12 = append(s12, id)
		}
	}
	if e := check12(s12); e != nil {
		return e
	}
	if top == tls.VersionTLS13 && !sameSet(s13, goSuites13) {
		return refuse("crypto/tls cannot be restricted to TLS 1.3 suites %s: it always offers and accepts all of %s",
			hexList(s13), hexList(goSuites13))
	}
	if len(s12) == 0 && c.tls.MinVersion < tls.VersionTLS13 {
		// an empty CipherSuites would mean Go's defaults, not none: say so
		return refuse("crypto/tls cannot allow TLS 1.2 or lower with no suite for it")
	}
	c.tls.CipherSuites = s12
	return nil
}

func check12(s12 []uint16) *shimError {
	last := -1
	for _, id := range s12 {
		i := indexOf(goPreference12, id)
		if i < 0 {
			return refuse("crypto/tls has no suite 0x%04X", id)
		}
		if i < last {
			return refuse("crypto/tls cannot follow the suite order %s: it ignores the list's order and uses its own",
				hexList(s12))
		}
		last = i
	}
	return nil
}

func sameSet(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for _, v := range a {
		if indexOf(b, v) < 0 {
			return false
		}
	}
	return true
}

func hexList(l []uint16) string {
	s := "["
	for i, v := range l {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("0x%04X", v)
	}
	return s + "]"
}

// Groups: CurvePreferences is honoured as listed (the client's key share goes to
// the first, a TLS 1.3 server picks by this order).
var goGroups = []uint16{29, 23, 24, 25}

func (c *context) setGroups(w *wireConfig) *shimError {
	for _, g := range w.Groups {
		if indexOf(goGroups, g) < 0 {
			return refuse("crypto/tls has no group %d", g)
		}
		c.tls.CurvePreferences = append(c.tls.CurvePreferences, tls.CurveID(g))
	}
	return nil
}

func capabilities() map[string]interface{} {
	return map[string]interface{}{
		"roles":    []string{"client", "server"},
		"versions": []string{"1.0", "1.1", "1.2", "1.3"},
		"suites":   allSuites(),
		"groups":   goGroups,
		"resume":   []string{"ticket"},
		"features": []string{"alpn", "crl", "sni", "hostname", "ip_san", "restrict_versions",
			"restrict_suites", "restrict_groups", "truncation", "client_cert", "client_auth",
			"ocsp_staple", "tls13_suites_fixed"},
		"defaults_changed": []string{
			"peer certificates are checked by the shim with x509.Verify, as crypto/tls would, from VerifyConnection / VerifyPeerCertificate: the name checked and the SNI sent can differ",
			"CRLs are checked by the shim (x509.ParseRevocationList, CheckSignatureFrom, the serial looked up): crypto/tls has no revocation check",
			"a close without close_notify at a record boundary is reported as truncated: crypto/tls itself returns io.EOF for it",
		},
	}
}
