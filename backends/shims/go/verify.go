package main

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"
)

// peerCheck is one context's certificate check: the x509.Verify crypto/tls runs
// itself, plus the CRLs crypto/tls does not look at.
type peerCheck struct {
	roots *x509.CertPool
	crls  []*x509.RevocationList
	name  string
	usage x509.ExtKeyUsage
}

// peerError is a refused chain with the chain as the peer sent it, which tells an
// unknown issuer apart (self-signed, leaf sent alone, unknown root).
type peerError struct {
	err  error
	sent []*x509.Certificate
}

func (e *peerError) Error() string { return e.err.Error() }
func (e *peerError) Unwrap() error { return e.err }

// revokedError is a certificate a CRL lists.
type revokedError struct {
	cert *x509.Certificate
	when time.Time
}

func (e *revokedError) Error() string {
	return fmt.Sprintf("certificate serial %s (%s) is revoked since %s by its issuer's CRL",
		e.cert.SerialNumber, e.cert.Subject, e.when.UTC().Format(time.RFC3339))
}

// newPeerCheck loads the trust anchors as a Go program does
// (CertPool.AppendCertsFromPEM, which skips a block it cannot parse; a file with no
// usable certificate at all is refused) and the CRLs, each verified against an
// anchor or left to be matched against the chain later.
func newPeerCheck(caFile, crlFile, name string, usage x509.ExtKeyUsage) (*peerCheck, *shimError) {
	pc := &peerCheck{roots: x509.NewCertPool(), name: name, usage: usage}
	if caFile != "" {
		data, err := readFile(caFile)
		if err != nil {
			return nil, refuse("reading %s: %v", caFile, err)
		}
		if !pc.roots.AppendCertsFromPEM(data) {
			return nil, &shimError{Outcome: "anchor_unusable", Text: "x509: CertPool.AppendCertsFromPEM found no certificate it can use in " + caFile}
		}
	}
	if crlFile != "" {
		ders, err := readPEM(crlFile, "X509 CRL")
		if err != nil {
			return nil, refuse("reading %s: %v", crlFile, err)
		}
		if len(ders) == 0 {
			return nil, &shimError{Outcome: "anchor_unusable", Text: "no X509 CRL block in " + crlFile}
		}
		for _, der := range ders {
			crl, err := x509.ParseRevocationList(der)
			if err != nil {
				return nil, &shimError{Outcome: "anchor_unusable", Text: err.Error()}
			}
			pc.crls = append(pc.crls, crl)
		}
	}
	return pc, nil
}

func (pc *peerCheck) check(sent []*x509.Certificate) error {
	if len(sent) == 0 {
		return &peerError{fmt.Errorf("tls: the peer sent no certificate"), sent}
	}
	opts := x509.VerifyOptions{
		Roots:         pc.roots,
		Intermediates: x509.NewCertPool(),
		DNSName:       pc.name,
		KeyUsages:     []x509.ExtKeyUsage{pc.usage},
	}
	for _, c := range sent[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := sent[0].Verify(opts)
	if err != nil {
		return &peerError{err, sent}
	}
	if len(pc.crls) > 0 {
		return pc.checkRevoked(chains[0])
	}
	return nil
}

// checkRevoked looks each certificate of the verified chain below the anchor up in
// the CRL its issuer signed. A certificate with no CRL from its issuer passes, as
// OpenSSL's CRL check without CRL_CHECK_ALL does for intermediates; the leaf must
// have one.
func (pc *peerCheck) checkRevoked(chain []*x509.Certificate) error {
	for i := 0; i+1 < len(chain); i++ {
		cert, issuer := chain[i], chain[i+1]
		crl, err := pc.crlOf(issuer)
		if err != nil {
			return err
		}
		if crl == nil {
			if i == 0 {
				return fmt.Errorf("no CRL from %s, the issuer of the leaf", issuer.Subject)
			}
			continue
		}
		if when, ok := listed(crl, cert.SerialNumber); ok {
			return &revokedError{cert, when}
		}
	}
	return nil
}

func (pc *peerCheck) crlOf(issuer *x509.Certificate) (*x509.RevocationList, error) {
	for _, crl := range pc.crls {
		if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
			continue
		}
		if err := crl.CheckSignatureFrom(issuer); err != nil {
			return nil, fmt.Errorf("the CRL of %s does not verify: %w", issuer.Subject, err)
		}
		if !crl.NextUpdate.IsZero() && time.Now().After(crl.NextUpdate) {
			return nil, fmt.Errorf("the CRL of %s expired at %s", issuer.Subject, crl.NextUpdate)
		}
		return crl, nil
	}
	return nil, nil
}

func listed(crl *x509.RevocationList, serial *big.Int) (time.Time, bool) {
	for _, rc := range crl.RevokedCertificates {
		if rc.SerialNumber.Cmp(serial) == 0 {
			return rc.RevocationTime, true
		}
	}
	return time.Time{}, false
}
