package main

import (
	"bytes"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"time"
)

// shimError is ERROR on the wire: an outcome of the shared vocabulary
// (harness/vocab/outcome.h), the stack's own code and its own words.
type shimError struct {
	Outcome string `json:"outcome"`
	Code    int64  `json:"code"`
	Text    string `json:"text"`
}

func internalError(text string) shimError {
	return shimError{Outcome: "internal_error", Text: text}
}

var readFile = os.ReadFile

// alertOutcomes is th_outcome_from_alert: an alert sent or received, by number.
var alertOutcomes = map[int64]string{
	20: "bad_record_mac", 42: "handshake_failure", 44: "revoked", 45: "expired",
	48: "unknown_ca", 51: "bad_signature", 70: "protocol_version", 71: "no_shared_cipher",
	80: "internal_error", 113: "ocsp_invalid", 116: "certificate_required",
}

// goTexts are crypto/tls's own refusals that carry no typed error (errors.New with
// an alert sent beside it), matched by a part of their text, with the alert it sends.
var goTexts = []struct {
	part, outcome string
	alert         int64
}{
	{"no cipher suite supported by both", "no_shared_cipher", 40},
	{"no ECDHE curve supported by both", "no_shared_cipher", 40},
	{"no supported versions satisfy", "protocol_version", 70},
	{"unsupported versions", "protocol_version", 70},
	{"unsupported protocol version", "protocol_version", 70},
	{"downgrade attempt detected", "protocol_version", 47},
	{"client didn't provide a certificate", "certificate_required", 42},
	{"failed to parse certificate", "bad_certificate", 42},
	{"failed to parse client certificate", "bad_certificate", 42},
	{"unsupported application protocols", "handshake_failure", 120},
	{"x509: malformed", "bad_certificate", 0},
	{"invalid signature by the", "bad_signature", 51},
	{"private key does not match public key", "internal_error", 0},
	{"failed to find any PEM data", "internal_error", 0},
}

// mapError maps an error crypto/tls returned to ERROR. Order: a refused chain
// (typed x509 errors), a CRL verdict, Go's untyped refusals, alerts (net.OpError
// "remote error" / "local error" around crypto/tls's alert type), end of stream.
func mapError(err error) shimError {
	e := shimError{Outcome: "handshake_failure", Text: err.Error()}
	var pe *peerError
	var re *revokedError
	switch {
	case errors.As(err, &re):
		e.Outcome = "revoked"
	case errors.As(err, &pe):
		e.Outcome, e.Code = mapX509(pe.err, pe.sent)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		e.Outcome = "truncated"
	default:
		if code, ok := alertCode(err); ok {
			e.Outcome, e.Code = alertOutcome(code), code
		} else if o, code := textOutcome(e.Text); o != "" {
			e.Outcome, e.Code = o, code
		}
	}
	return e
}

func textOutcome(text string) (string, int64) {
	for _, t := range goTexts {
		if strings.Contains(text, t.part) {
			return t.outcome, t.alert
		}
	}
	return "", 0
}

func alertOutcome(code int64) string {
	if o, ok := alertOutcomes[code]; ok {
		return o
	}
	return "handshake_failure"
}

// alertCode reads the alert number out of crypto/tls's unexported alert type
// (a uint8) inside the net.OpError it returns for alerts sent and received.
func alertCode(err error) (int64, bool) {
	var op *net.OpError
	if !errors.As(err, &op) || (op.Op != "remote error" && op.Op != "local error") || op.Err == nil {
		return 0, false
	}
	v := reflect.ValueOf(op.Err)
	if v.Kind() != reflect.Uint8 {
		return 0, false
	}
	return int64(v.Uint()), true
}

// mapX509 maps x509.Verify's verdict; the code is the CertificateInvalidError
// reason where there is one.
func mapX509(err error, sent []*x509.Certificate) (string, int64) {
	var inv x509.CertificateInvalidError
	var host x509.HostnameError
	var unk x509.UnknownAuthorityError
	var crit x509.UnhandledCriticalExtension
	var ins x509.InsecureAlgorithmError
	switch {
	case errors.As(err, &inv):
		return invalidOutcome(inv), int64(inv.Reason)
	case errors.As(err, &host):
		return "hostname_mismatch", 0
	case errors.As(err, &crit):
		return "unknown_critical_extension", 0
	case errors.As(err, &ins):
		return "weak_signature", 0
	case errors.As(err, &unk):
		return unknownAuthority(err.Error(), sent), 0
	}
	return "handshake_failure", 0
}

func invalidOutcome(inv x509.CertificateInvalidError) string {
	switch inv.Reason {
	case x509.Expired:
		// one reason for both ends of the validity window
		if inv.Cert != nil && time.Now().Before(inv.Cert.NotBefore) {
			return "not_yet_valid"
		}
		return "expired"
	case x509.NotAuthorizedToSign:
		return "invalid_ca"
	case x509.CANotAuthorizedForThisName, x509.NameConstraintsWithoutSANs,
		x509.UnconstrainedName, x509.TooManyConstraints:
		return "name_constraints"
	case x509.TooManyIntermediates:
		return "path_length"
	case x509.IncompatibleUsage, x509.CANotAuthorizedForExtKeyUsage:
		return "bad_eku"
	}
	return "bad_certificate"
}

// unknownAuthority reads x509's "signed by unknown authority": the hint it keeps
// from a candidate issuer that failed ("possibly because of ...") says why (a bad
// or refused signature, an issuer that is no CA, a key Go cannot use); else the chain as sent tells a self-signed leaf, a leaf sent
// alone (its issuer missing or untrusted: incomplete_chain, as OpenSSL and GnuTLS
// read it) and a whole chain under an unknown root.
func unknownAuthority(text string, sent []*x509.Certificate) string {
	switch {
	case strings.Contains(text, "insecure algorithm"):
		return "weak_signature"
	case strings.Contains(text, "verification error") || strings.Contains(text, "verification failure"):
		return "bad_signature"
	case strings.Contains(text, "cannot sign this kind of certificate"):
		return "invalid_ca" // the issuer is not a CA (CA:FALSE, no basicConstraints)
	case strings.Contains(text, "algorithm unimplemented"):
		// an issuer's key Go cannot verify with (DSA): unsupported, not malformed
		return "handshake_failure"
	case strings.Contains(text, "possibly because of"):
		return "unknown_ca"
	}
	if len(sent) == 1 {
		if bytes.Equal(sent[0].RawIssuer, sent[0].RawSubject) {
			return "self_signed"
		}
		return "incomplete_chain"
	}
	return "unknown_ca"
}
