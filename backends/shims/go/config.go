package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
)

// wireConfig is struct th_tls_config as the driver sends it (backends/README.md).
type wireConfig struct {
	Role              string   `json:"role"`
	Versions          []string `json:"versions"`
	Suites            []uint16 `json:"suites"`
	Groups            []uint16 `json:"groups"`
	ALPN              []string `json:"alpn"`
	CAFile            *string  `json:"ca_file"`
	CRLFile           *string  `json:"crl_file"`
	Hostname          *string  `json:"hostname"`
	SNI               *string  `json:"sni"`
	Verify            *bool    `json:"verify"`
	Resume            string   `json:"resume"`
	CertFile          *string  `json:"cert_file"`
	KeyFile           *string  `json:"key_file"`
	ClientAuth        string   `json:"client_auth"`
	ClientCAFile      *string  `json:"client_ca_file"`
	PreferServerOrder bool     `json:"prefer_server_order"`
	Tickets           *bool    `json:"tickets"`
	SessionCache      bool     `json:"session_cache"`
	OCSP              string   `json:"ocsp"`
	OCSPFile          *string  `json:"ocsp_file"`
	EarlyData         string   `json:"early_data"`
	EarlySend         bool     `json:"early_send"`
}

// context is one endpoint's configuration. A server's tls.Config is shared by all
// its connections (its ticket keys live there); a client clones it per connection
// to give each its own session cache.
type context struct {
	client   bool
	tls      *tls.Config
	clientCA bool // a server that asks for client certificates
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func refuse(format string, args ...interface{}) *shimError {
	e := internalError(fmt.Sprintf(format, args...))
	return &e
}

func newContext(raw json.RawMessage) (*context, *shimError) {
	var w wireConfig
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, refuse("bad config: %v", err)
	}
	c := &context{client: w.Role == "client", tls: &tls.Config{}}
	if !c.client && w.Role != "server" {
		return nil, refuse("role %q is neither client nor server", w.Role)
	}
	steps := []func(*wireConfig) *shimError{c.setVersionsAndSuites, c.setGroups, c.setUnsupported}
	if c.client {
		steps = append(steps, c.setClient)
	} else {
		steps = append(steps, c.setServer)
	}
	for _, step := range steps {
		if e := step(&w); e != nil {
			return nil, e
		}
	}
	c.tls.NextProtos = w.ALPN
	return c, nil
}

// setUnsupported refuses what crypto/tls cannot do at all; caps() declares none
// of it, so the driver should have skipped the case before asking.
func (c *context) setUnsupported(w *wireConfig) *shimError {
	switch {
	case w.EarlyData != "" && w.EarlyData != "off":
		return refuse("crypto/tls has no TLS 1.3 early data")
	case w.EarlySend:
		return refuse("crypto/tls has no TLS 1.3 early data")
	case c.client && w.OCSP != "" && w.OCSP != "off":
		return refuse("crypto/tls does not check a stapled OCSP response")
	case c.client && w.Resume == "session_id":
		return refuse("crypto/tls resumes by session ticket only, never by session ID")
	}
	return nil
}

func (c *context) setClient(w *wireConfig) *shimError {
	c.tls.ServerName = str(w.SNI)
	// The shim checks the chain itself in VerifyConnection, with the same
	// x509.Verify crypto/tls would run, so the name checked (hostname) can differ
	// from the name sent (sni): crypto/tls ties both to ServerName.
	c.tls.InsecureSkipVerify = true
	if w.Verify == nil || *w.Verify {
		pc, e := newPeerCheck(str(w.CAFile), str(w.CRLFile), str(w.Hostname), x509.ExtKeyUsageServerAuth)
		if e != nil {
			return e
		}
		c.tls.VerifyConnection = func(cs tls.ConnectionState) error {
			return pc.check(cs.PeerCertificates)
		}
	}
	if w.CertFile != nil {
		cert, e := loadPair(str(w.CertFile), str(w.KeyFile))
		if e != nil {
			return e
		}
		c.tls.Certificates = []tls.Certificate{cert}
	}
	return nil
}

func (c *context) setServer(w *wireConfig) *shimError {
	if w.CertFile == nil || w.KeyFile == nil {
		return refuse("a server needs cert_file and key_file")
	}
	cert, e := loadPair(*w.CertFile, *w.KeyFile)
	if e != nil {
		return e
	}
	if w.OCSPFile != nil {
		der, err := os.ReadFile(*w.OCSPFile)
		if err != nil {
			return refuse("reading the OCSP response: %v", err)
		}
		cert.OCSPStaple = der // stapled as it is, to clients that ask
	}
	c.tls.Certificates = []tls.Certificate{cert}
	// Go servers keep no session-ID cache: session_cache has nothing to turn on
	// or off, and resumption by ID is not declared.
	c.tls.SessionTicketsDisabled = w.Tickets != nil && !*w.Tickets
	return c.setClientAuth(w)
}

// setClientAuth asks for client certificates with Go's own modes; the chain is
// checked by the shim (VerifyPeerCertificate, the same x509.Verify with
// ExtKeyUsageClientAuth crypto/tls would run) so a refusal keeps its typed error.
func (c *context) setClientAuth(w *wireConfig) *shimError {
	switch w.ClientAuth {
	case "", "none":
		return nil
	case "request":
		c.tls.ClientAuth = tls.RequestClientCert
	case "require":
		c.tls.ClientAuth = tls.RequireAnyClientCert
	default:
		return refuse("client_auth %q is unknown", w.ClientAuth)
	}
	c.clientCA = true
	pc, e := newPeerCheck(str(w.ClientCAFile), "", "", x509.ExtKeyUsageClientAuth)
	if e != nil {
		return e
	}
	// ClientCAs also names the acceptable issuers in the CertificateRequest, as a
	// Go server verifying by itself would.
	c.tls.ClientCAs = pc.roots
	c.tls.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return nil
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, der := range raw {
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return err // crypto/tls parsed these already; not reached
			}
			certs[i] = cert
		}
		return pc.check(certs)
	}
	return nil
}

// loadPair reads a PEM chain (leaf first) and a PEM PKCS#8 key. A leaf Go cannot
// parse is refused here: crypto/tls will not serve what it cannot read.
func loadPair(certFile, keyFile string) (tls.Certificate, *shimError) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		e := mapError(err)
		if e.Outcome == "handshake_failure" {
			e.Outcome = "internal_error"
		}
		return cert, &e
	}
	return cert, nil
}

// readPEM returns the DER of every PEM block of the given type in file.
func readPEM(file, typ string) ([][]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out, nil
		}
		if strings.EqualFold(b.Type, typ) {
			out = append(out, b.Bytes)
		}
	}
}
