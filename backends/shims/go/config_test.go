package main

// Configuration honoured exactly or refused, and what each side reports, through
// the frame protocol as in shim_test.go.

import "testing"

func TestRefusedConfigs(t *testing.T) {
	h := startShim(t)
	cases := map[string]func(map[string]interface{}){
		"session_id":         func(c map[string]interface{}) { c["resume"] = "session_id" },
		"ocsp request":       func(c map[string]interface{}) { c["ocsp"] = "request" },
		"suite order":        func(c map[string]interface{}) { c["versions"] = []string{"1.2"}; c["suites"] = []int{0xC02F, 0xC02B} },
		"unknown suite":      func(c map[string]interface{}) { c["versions"] = []string{"1.2"}; c["suites"] = []int{0x009E} },
		"unknown group":      func(c map[string]interface{}) { c["groups"] = []int{30} },
		"1.2 with no suite":  func(c map[string]interface{}) { c["suites"] = []int{0x1301, 0x1302, 0x1303} },
		"no trust anchor in": func(c map[string]interface{}) { c["ca_file"] = pki + "rsa2048.key.pem" },
	}
	for name, edit := range cases {
		cfg := clientCfg("1.2", "1.3")
		edit(cfg)
		if r := h.call(map[string]interface{}{"op": "ctx", "config": cfg}); r["ok"] != false {
			t.Errorf("%s: taken: %v", name, r)
		}
	}
	cfg := clientCfg("1.2", "1.3")
	cfg["suites"] = []int{0x1303, 0x1301, 0x1302, 0xC02B, 0xC02F}
	if r := h.call(map[string]interface{}{"op": "ctx", "config": cfg}); r["ok"] != true {
		t.Errorf("Go's own order refused: %v", r)
	}
	if r := h.call(map[string]interface{}{"op": "ctx", "config": clientCfg("1.2", "1.3")}); r["ok"] != true {
		t.Errorf("the defaults refused: %v", r)
	}
}

func TestPinned(t *testing.T) {
	type pin struct {
		v             string
		suites        []int
		cgroups, sgrp []int
		suite, group  float64
	}
	for name, p := range map[string]pin{
		"tls12-p256":   {"1.2", []int{0xC02F}, []int{23}, nil, 0xC02F, 23},
		"tls12-rsa-kx": {"1.2", []int{0x009C}, nil, nil, 0x009C, 0},
		"tls13-p384":   {"1.3", nil, []int{24}, nil, 0, 24},
		"tls13-hrr":    {"1.3", nil, []int{29, 23}, []int{23}, 0, 23},
	} {
		t.Run(name, func(t *testing.T) {
			h := startShim(t)
			c, s := clientCfg(p.v), serverCfg("rsa2048", p.v)
			c["suites"], c["groups"], s["groups"] = p.suites, p.cgroups, p.sgrp
			cli, srv := pair(h, h.ctx(c), h.ctx(s), nil)
			cn, sn := handshake(t, cli, srv)
			for _, n := range []map[string]interface{}{cn, sn} {
				if (p.suite != 0 && n["suite"] != p.suite) || n["group"] != p.group {
					t.Fatalf("negotiated %v", n)
				}
			}
		})
	}
}

func failBoth(t *testing.T, c, s map[string]interface{}, client, server string) {
	t.Helper()
	h := startShim(t)
	cli, srv := pair(h, h.ctx(c), h.ctx(s), nil)
	if e := jsonOf(t, srv.next('F')); e["outcome"] != server {
		t.Fatalf("server says %v, want %s", e, server)
	}
	if e := jsonOf(t, cli.next('F')); e["outcome"] != client {
		t.Fatalf("client says %v, want %s", e, client)
	}
}

func TestNoOverlap(t *testing.T) {
	c, s := clientCfg("1.2"), serverCfg("rsa2048", "1.2")
	c["suites"], s["suites"] = []int{0xC02F}, []int{0xC030}
	// the client hears alert handshake_failure (40); the server knows why
	failBoth(t, c, s, "handshake_failure", "no_shared_cipher")
	failBoth(t, clientCfg("1.3"), serverCfg("rsa2048", "1.2"), "protocol_version", "protocol_version")
}

func TestClientAuth(t *testing.T) {
	h := startShim(t)
	s := serverCfg("rsa2048", "1.3")
	s["client_auth"], s["client_ca_file"] = "require", pki+"root.pem"
	c := clientCfg("1.3")
	c["cert_file"], c["key_file"] = pki+"client.chain.pem", pki+"client.key.pem"
	sctx := h.ctx(s)
	cli, srv := pair(h, h.ctx(c), sctx, nil)
	cn, sn := handshake(t, cli, srv)
	if cn["cert_requested"] != true || cn["client_cert"] != true || sn["client_cert"] != true {
		t.Fatalf("client %v, server %v", cn, sn)
	}
	exchange(t, cli, srv)
	// without a certificate: Go's server refuses with bad_certificate (42), not
	// TLS 1.3's certificate_required (116)
	cli, srv = pair(h, h.ctx(clientCfg("1.3")), sctx, nil)
	if e := jsonOf(t, srv.next('F')); e["outcome"] != "certificate_required" {
		t.Fatalf("server says %v", e)
	}
	// in TLS 1.3 the client's handshake is done before the server judges: the
	// alert comes to its reads
	cli.next('H')
	if e := jsonOf(t, cli.next('F')); e["code"] != float64(42) {
		t.Fatalf("client says %v", e)
	}
}

func TestVerifyOffAndSNI(t *testing.T) {
	h := startShim(t)
	c := clientCfg("1.3")
	c["verify"], c["ca_file"], c["sni"], c["hostname"] = false, nil, "other.test", nil
	cli, srv := pair(h, h.ctx(c), h.ctx(serverCfg("self-signed", "1.3")), nil)
	handshake(t, cli, srv)
	// the name checked is hostname, not the SNI sent
	c = clientCfg("1.3")
	c["sni"] = "other.test"
	cli, srv = pair(h, h.ctx(c), h.ctx(serverCfg("rsa2048", "1.3")), nil)
	handshake(t, cli, srv)
	c["hostname"] = "127.0.0.1"
	cli, srv = pair(h, h.ctx(c), h.ctx(serverCfg("rsa2048", "1.3")), nil)
	handshake(t, cli, srv)
}
