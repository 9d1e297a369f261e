/* The scenario reader on bad input: every file of tests/data/bad/ is refused with
 * one error (two-errors.json: two) naming FILE:LINE:COL, pointing at the offending
 * text, and saying why. */
#include "scenario_helpers.h"

#include <fcntl.h>

#include "harness/vocab/text.h"

/* ---- bad inputs: tests/data/bad/ ---- */

struct bad {
    const char *file;
    int line, col;
    const char *at;   /* the text found at line:col */
    const char *frag; /* part of the message */
};

static const struct bad bads[] = {
    {"syntax.json", 4, 22, "]", "unexpected token"},
    {"missing-name.json", 1, 1, "{", "missing required key \"name\""},
    {"missing-kind.json", 1, 1, "{", "missing required key \"kind\""},
    {"unknown-top-key.json", 4, 3, "\"clinets\"",
     "clinets: unknown key (top-level keys: name, kind,"},
    {"unknown-client-key.json", 4, 36, "\"verfy\"",
     "client.verfy: unknown key (client keys: versions, ciphers"},
    {"server-key-in-client.json", 5, 5, "\"tickets\"",
     "client.tickets: \"tickets\" is a server key, not allowed in client"},
    {"client-key-in-server.json", 4, 38, "\"hostname\"",
     "server.hostname: \"hostname\" is a client key, not allowed in server"},
    {"versions-string.json", 4, 27, "\"1.3\"", "client.versions: expected an array, got a string"},
    {"unknown-version.json", 6, 18, "\"1.4\"",
     "client.versions[1]: unknown TLS version \"1.4\" (known: 1.0, 1.1, 1.2, 1.3)"},
    {"duplicate-version.json", 4, 42, "\"1.3\"", "server.versions[2]: TLS 1.3 listed twice"},
    {"unknown-suite.json", 4, 53, "\"TLS_AES_128_GCM_SHA257\"",
     "server.ciphers[1]: unknown cipher suite \"TLS_AES_128_GCM_SHA257\""},
    {"unknown-group.json", 4, 26, "\"x25520\"", "client.groups[0]: unknown group \"x25520\""},
    {"unknown-outcome.json", 4, 41, "\"expird\"",
     "expect.outcome[1]: unknown outcome \"expird\" (known: ok, expired,"},
    {"empty-outcome-list.json", 4, 26, "[]", "expect.outcome: empty list"},
    {"expect-version.json", 4, 43, "\"1.5\"", "expect.version: unknown TLS version \"1.5\""},
    {"expect-unknown-key.json", 4, 15, "\"outcomes\"",
     "expect.outcomes: unknown key (expect keys: outcome,"},
    {"bad-transport.json", 4, 16, "\"udp\"",
     "transport: unknown value \"udp\" (known: memory, tcp)"},
    {"bad-timeout.json", 4, 16, "0",
     "timeout_s: 0 out of range: more than 0 and at most 300 seconds"},
    {"timeout-too-long.json", 4, 16, "300.5", "timeout_s: 300.5 out of range"},
    {"timeout-string.json", 4, 16, "\"5\"",
     "timeout_s: expected a number of seconds, got a string"},
    {"unknown-pki.json", 4, 23, "\"pki:rsa8192\"",
     "server.cert: unknown pki object \"pki:rsa8192\" for a server certificate"},
    {"cert-not-pki.json", 4, 23, "\"server.pem\"", "server.cert: file not found: /"},
    {"crl-not-crl.json", 4, 22, "\"pki:root\"",
     "client.crl: unknown pki object \"pki:root\" for a CRL"},
    {"ca-missing.json", 4, 21, "\"no-such-ca.pem\"", "client.ca: file not found: /"},
    /* bring your own chain: the files of tests/data/byo/ */
    {"byo-cert-missing.json", 4, 23, "\"../byo/no-such.pem\"", "server.cert: file not found: /"},
    {"byo-cert-folder.json", 4, 23, "\"../byo\"", "server.cert: not a regular file: /"},
    {"byo-cert-not-pem.json", 4, 23, "\"../byo/not-pem.txt\"",
     "not-pem.txt is not PEM: no \"-----BEGIN ...-----\" block in it"},
    {"byo-cert-broken.json", 4, 23, "\"../byo/broken.pem\"",
     "broken.pem: PEM block 1 cannot be read"},
    {"byo-cert-no-cert.json", 4, 23, "\"../byo/leaf.key.pem\"",
     "leaf.key.pem holds no certificate"},
    {"byo-cert-no-key.json", 4, 44, "\"../byo/leaf.pem\"",
     "server.cert: a certificate file needs its private key: give \"key\""},
    {"byo-key-no-cert.json", 4, 22, "\"../byo/leaf.key.pem\"",
     "server.key: \"key\" goes beside \"cert\" in the same block"},
    {"byo-key-mismatch.json", 4, 49, "\"../byo/other.key.pem\"",
     "other.key.pem is not the key of the first certificate of /"},
    {"byo-wrong-order.json", 4, 56, "\"../byo/leaf.key.pem\"",
     "leaf.key.pem is the key of certificate 2 of /"},
    {"byo-key-not-pem.json", 4, 49, "\"../byo/not-pem.txt\"", "not-pem.txt is not PEM"},
    {"byo-key-no-key.json", 4, 49, "\"../byo/leaf.pem\"", "leaf.pem holds no private key"},
    {"byo-key-encrypted.json", 4, 49, "\"../byo/encrypted.key.pem\"",
     "holds an encrypted key: the harness has no passphrase to give"},
    {"byo-key-two.json", 4, 49, "\"../byo/two-keys.pem\"", "two-keys.pem holds 2 private keys"},
    {"byo-pki-cert-file-key.json", 4, 45, "\"../byo/leaf.key.pem\"",
     "server.key: \"cert\": \"pki:rsa2048\" comes with its own key"},
    {"byo-file-cert-pki-key.json", 4, 49, "\"pki:rsa2048\"",
     "server.key: a key of the test PKI is not the key of a certificate file"},
    {"byo-key-unknown-pki.json", 4, 45, "\"pki:no-such-leaf\"",
     "server.key: unknown pki object \"pki:no-such-leaf\" for a private key"},
    {"byo-client-key-no-cert.json", 4, 36, "\"../byo/leaf.key.pem\"",
     "client.key: a key without a certificate"},
    {"byo-client-cert-not-pem.json", 4, 23, "\"../byo/not-pem.txt\"", "client.cert: /"},
    {"byo-variant-cert-only.json", 5, 55, "\"../byo/wrong-order.pem\"",
     "variants[0].server.cert: a certificate file needs its private key"},
    /* client certificates (mTLS) */
    {"early-no-ticket.json", 4, 29, "\"send\"",
     "client.early_data: early data needs \"client\": {\"resume\": \"ticket\"}: it goes on a "
     "resumed T"},
    {"early-tls12.json", 4, 29, "\"send\"",
     "client.early_data: early data needs TLS 1.3 in client.versions and server.versions"},
    {"early-kind-bulk.json", 4, 15, "\"early_data\"",
     "client.early_data: not used by kind bulk: early data is sent by the resumed connections of "
     "kinds handshake, handshake_rate and load"},
    {"early-load-no-ticket.json", 4, 29, "\"send\"",
     "client.early_data: early data needs \"load\": {\"resume\": \"ticket\"}"},
    {"early-load-keepalive.json", 4, 29, "\"send\"",
     "client.early_data: early data in load needs \"load\": {\"new_connection_per_request\": "
     "true}"},
    {"early-load-h2.json", 4, 29, "\"send\"",
     "client.early_data: early data in load goes with HTTP/1.1 only"},
    {"early-load-replay.json", 4, 29, "\"replay\"",
     "client.early_data: \"replay\" is for kind handshake (one replayed connection); kind load "
     "takes \"off\" or \"send\""},
    {"early-rate-no-request.json", 4, 29, "\"send\"",
     "client.early_data: early data in handshake_rate needs \"handshakes\": {\"request\": true}"},
    {"rate-request-string.json", 4, 30, "\"yes\"",
     "handshakes.request: expected true or false, got a string"},
    {"early-unknown.json", 4, 29, "\"maybe\"",
     "server.early_data: unknown value \"maybe\" (known: off, accept, reject)"},
    {"expect-early-not-sent.json", 4, 29, "\"accepted\"",
     "expect.early_data: a pinned early_data needs \"client\": {\"early_data\": \"send\"} or "
     "\"replay\""},
    {"expect-replay-not-replayed.json", 5, 25, "\"rejected\"",
     "expect.replay: a pinned replay needs \"client\": {\"early_data\": \"replay\"}"},
    {"expect-hrr-string.json", 4, 22, "\"once\"",
     "expect.hrr: expected true or false, got a string"},
    {"load-streams-no-h2.json", 4, 24, "8",
     "load.streams: more than one stream per connection needs \"protocol\": \"h2\""},
    {"load-rate-zero.json", 4, 21, "0",
     "load.rate: 0 out of range (1/60 to 1e+06 requests per second)"},
    {"load-sha256-short.json", 4, 30, "\"abcd\"",
     "load.expect_sha256: a SHA-256 is 64 hex digits, this is 4 characters"},
    {"load-sha256-nonhex.json", 4, 30,
     "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g\"",
     "load.expect_sha256: not a hex digit at offset 63"},
    {"load-protocol-unknown.json", 4, 25, "\"h3\"",
     "load.protocol: unknown value \"h3\" (known: http/1.1, h2)"},
    {"ocsp-mode-unknown.json", 4, 23, "\"must\"",
     "client.ocsp: unknown value \"must\" (known: off, request, require)"},
    {"ocsp-mode-number.json", 4, 23, "true", "client.ocsp: expected a string, got true"},
    {"ocsp-not-pki-response.json", 4, 23, "\"pki:rsa2048\"",
     "server.ocsp: unknown pki object \"pki:rsa2048\" for an OCSP response"},
    {"ocsp-file-missing.json", 4, 23, "\"no-such-staple.der\"", "server.ocsp: file not found"},
    {"ocsp-expect-unknown.json", 5, 23, "\"fine\"",
     "expect.ocsp: unknown value \"fine\" (known: none, good, revoked, unknown, invalid)"},
    {"ocsp-expect-not-asked.json", 5, 23, "\"good\"",
     "needs \"client\": {\"ocsp\": \"request\"} or \"require\""},
    {"client-auth-unknown.json", 4, 30, "\"always\"",
     "server.client_auth: unknown value \"always\" (known: none, request, require)"},
    {"client-auth-number.json", 4, 30, "1", "server.client_auth: expected a string, got a number"},
    {"client-auth-in-client.json", 4, 15, "\"client_auth\"",
     "client.client_auth: \"client_auth\" is a server key, not allowed in client"},
    {"client-ca-in-client.json", 4, 15, "\"client_ca\"",
     "client.client_ca: \"client_ca\" is a server key, not allowed in client"},
    {"client-auth-no-ca.json", 4, 30, "\"require\"",
     "server.client_auth: \"require\" needs \"client_ca\""},
    {"client-ca-unknown.json", 4, 54, "\"pki:nosuch\"",
     "server.client_ca: unknown pki object \"pki:nosuch\" for a trust anchor"},
    {"client-ca-missing.json", 4, 54, "\"no-such-ca.pem\"", "server.client_ca: file not found: /"},
    {"client-ca-null-variant.json", 5, 56, "null",
     "variants[0].server.client_ca: null while \"client_auth\" is \"require\""},
    {"client-auth-variant-no-ca.json", 4, 58, "\"request\"",
     "variants[0].server.client_auth: \"request\" needs \"client_ca\""},
    {"deviation-no-why.json", 6, 5, "{", "deviations[1]: missing required key \"why\""},
    {"deviation-empty-why.json", 4, 70, "\"\"",
     "deviations[0].why: empty: say why this backend differs"},
    {"deviation-no-side.json", 4, 18, "{", "deviations[0]: needs \"client\" or \"server\""},
    {"deviation-no-outcome.json", 4, 18, "{", "deviations[0]: missing required key \"outcome\""},
    {"deviation-intermittent-number.json", 4, 79, "1",
     "deviations[0].intermittent: expected true or false, got a number"},
    {"duplicate-variant.json", 7, 15, "\"a\"",
     "variants[2].name: variant \"a\" is defined twice (also variants[0])"},
    {"variant-bad-name.json", 4, 26, "\"Tls 1.2\"",
     "variants[0].name: \"Tls 1.2\" must match [a-z0-9._-]+"},
    {"variant-no-name.json", 4, 16, "{ \"client\"", "variants[0]: missing required key \"name\""},
    {"variant-unknown-key.json", 4, 31, "\"servers\"",
     "variants[0].servers: unknown key (variant keys:"},
    {"variant-bad-client.json", 6, 42, "\"psk\"",
     "variants[1].client.resume: unknown value \"psk\" (known: none, ticket, session_id)"},
    {"url-no-port.json", 4, 15, "\"https://example.com\"",
     "servers[0]: external target \"https://example.com\" needs a port: https://HOST:PORT"},
    {"url-port-0.json", 4, 23, "\"https://example.com:0\"",
     "servers[1]: external target \"https://example.com:0\": port 0 out of range 1-65535"},
    {"url-port-70000.json", 4, 15, "\"https://127.0.0.1:70000\"",
     "port 70000 out of range 1-65535"},
    {"url-http.json", 4, 15, "\"http://example.com:80\"",
     "servers[0]: external targets use https://"},
    {"url-path.json", 4, 15, "\"https://example.com:443/index.html\"",
     "port must be a number 1-65535, with no path"},
    {"url-bad-ipv6.json", 4, 15, "\"https://[::g]:443\"", "bad IPv6 address"},
    {"fixture-unknown.json", 4, 15, "\"fixture:apache\"",
     "servers[0]: unknown fixture 'apache' (known: nginx, "},
    {"fixture-bulk.json", 4, 23, "\"fixture:nginx\"",
     "servers[1]: kind bulk needs both ends in the harness; external targets and fixtures "
     "are for kinds handshake and load"},
    {"deviation-bad-fixture.json", 4, 29, "\"fixture:\"", "is not a backend or fixture name"},
    {"load-unknown-key.json", 4, 28, "\"conections\"", "load.conections: unknown key (load keys: "},
    {"load-requests-and-seconds.json", 4, 28, "\"seconds\"",
     "give \"requests\" or \"seconds\", not both"},
    {"load-bad-path.json", 4, 20, "\"bytes/1024\"", "is not an absolute path"},
    {"load-path-space.json", 4, 20, "\"/a b\"", "path has a space"},
    {"load-connections-zero.json", 4, 27, "0", "0 out of range 1-10000"},
    {"load-client-resume.json", 4, 14, "\"resume\"", "not used by kind load"},
    {"load-new-connection-string.json", 4, 42, "\"yes\"", "expected true or false, got a string"},
    {"load-bad-resume.json", 4, 22, "\"psk\"", "unknown value \"psk\""},
    {"load-in-handshake.json", 4, 3, "\"load\"",
     "only for kind load (this scenario is kind handshake)"},
    {"unknown-backend.json", 4, 23, "\"wolfssl\"",
     "clients[1]: unknown backend 'wolfssl' (compiled in: full, tls12only, curl-fake)"},
    {"backend-role.json", 4, 15, "\"curl-fake\"",
     "servers[0]: backend 'curl-fake' cannot be a server"},
    {"clients-empty.json", 4, 14, "[]", "clients: empty list"},
    {"duplicate-key.json", 4, 8, "\": \"handshake\"", "duplicate object key"},
    {"foreach-group-groups.json", 5, 15, "\"groups\"",
     "server.groups: not allowed with \"foreach\": \"group\""},
    {"foreach-suite-cipher.json", 4, 15, "\"cipher\"",
     "expect.cipher: not allowed with \"foreach\": \"suite\""},
    {"foreach-bad.json", 4, 14, "\"version\"",
     "foreach: unknown value \"version\" (known: suite, group)"},
    {"suite-filter-no-foreach.json", 4, 3, "\"suite_filter\"",
     "suite_filter: only allowed with \"foreach\": \"suite\""},
    {"suite-filter-bad-kx.json", 5, 37, "\"ECDH\"",
     "suite_filter.kx[1]: unknown value \"ECDH\" (known: TLS13, ECDHE, DHE, RSA)"},
    {"suite-filter-bad-cipher.json", 5, 47, "\"AES128GCM\"",
     "suite_filter.cipher[1]: unknown cipher \"AES128GCM\""},
    {"suite-needs-version.json", 6, 17, "\"TLS_AES_128_GCM_SHA256\"",
     "client.ciphers[0]: TLS_AES_128_GCM_SHA256 needs TLS 1.3, not in client.versions"},
    {"variant-suite-needs-version.json", 4, 27, "\"TLS_AES_128_GCM_SHA256\"",
     "server.ciphers[0]: TLS_AES_128_GCM_SHA256 needs TLS 1.3, not in server.versions of variant "
     "\"tls12\""},
    {"empty.json", 1, 1, "", "empty file: expected a JSON object"},
    {"blank.json", 1, 1, "", "empty file: expected a JSON object"},
    {"top-array.json", 1, 1, "[", "the top level must be a JSON object, got an array"},
    {"kind-unknown.json", 3, 11, "\"handshaek\"",
     "kind: unknown value \"handshaek\" (known: handshake, bulk, handshake_rate, memory, "
     "integrity, load)"},
    {"bad-name.json", 2, 11, "\"Cert/Expired\"", "name: \"Cert/Expired\" must match [a-z0-9._/-]+"},
    {"verify-string.json", 4, 25, "\"yes\"", "client.verify: expected true or false, got a string"},
    {"alpn-empty.json", 4, 30, "\"\"", "client.alpn[1]: an ALPN protocol name is 1 to 255 bytes"},
    {"hostname-empty.json", 4, 27, "\"\"", "client.hostname: empty string (use null for none)"},
    {"resume-bad.json", 4, 25, "\"psk\"", "client.resume: unknown value \"psk\""},
    {"client-not-object.json", 4, 13, "[", "client: expected an object, got an array"},
    {"two-errors.json", 4, 16, "\"udp\"", "transport: unknown value"},
    {"bad-utf8.json", 3, 15, "d", "unable to decode byte 0xff"},
    /* the kinds' blocks */
    {"block-wrong-kind.json", 4, 3, "\"bulk\"",
     "bulk: only for kind bulk (this scenario is kind handshake)"},
    {"block-wrong-kind-variant.json", 4, 32, "\"handshakes\"",
     "variants[0].handshakes: only for kind handshake_rate (this scenario is kind bulk)"},
    {"bulk-bytes-and-seconds.json", 4, 31, "\"seconds\"",
     "bulk.seconds: give \"bytes\" or \"seconds\", not both"},
    {"bulk-bytes-zero.json", 4, 22, "0", "bulk.bytes: 0 out of range 1-1099511627776"},
    {"bulk-bytes-negative.json", 4, 22, "-1048576",
     "bulk.bytes: -1048576 out of range 1-1099511627776"},
    {"bulk-bytes-huge.json", 4, 22, "1099511627777",
     "bulk.bytes: 1099511627777 out of range 1-1099511627776"},
    {"bulk-bytes-real.json", 4, 22, "1.5e6", "bulk.bytes: expected a whole number, got 1.5e+06"},
    {"bulk-bytes-string.json", 4, 22, "\"1M\"",
     "bulk.bytes: expected a whole number, got a string"},
    {"bulk-seconds-zero.json", 4, 24, "0",
     "bulk.seconds: 0 out of range: more than 0 and at most 600 seconds"},
    {"bulk-seconds-too-long.json", 4, 24, "600.5", "bulk.seconds: 600.5 out of range"},
    {"bulk-write-size-huge.json", 4, 27, "1048577",
     "bulk.write_size: 1048577 out of range 1-1048576"},
    {"bulk-not-object.json", 4, 11, "1048576", "bulk: expected an object, got a number"},
    {"bulk-unknown-key.json", 4, 31, "\"record_size\"",
     "bulk.record_size: unknown key (bulk keys: bytes, seconds, write_size, direction)"},
    {"bulk-bad-direction.json", 4, 26, "\"up\"",
     "bulk.direction: unknown value \"up\" (known: c2s, s2c, both)"},
    {"rate-count-and-seconds.json", 4, 33, "\"count\"",
     "handshakes.count: give \"count\" or \"seconds\", not both"},
    {"rate-count-zero.json", 4, 28, "0", "handshakes.count: 0 out of range 1-10000000"},
    {"rate-count-huge.json", 4, 28, "10000001", "handshakes.count: 10000001 out of range"},
    {"rate-bad-resume.json", 4, 29, "\"psk\"",
     "handshakes.resume: unknown value \"psk\" (known: none, ticket, session_id)"},
    {"rate-concurrency-memory.json", 4, 49, "4",
     "handshakes.concurrency: 4 concurrent handshakes need \"transport\": \"tcp\""},
    {"rate-concurrency-huge.json", 5, 34, "65", "handshakes.concurrency: 65 out of range 1-64"},
    {"rate-client-resume.json", 4, 15, "\"resume\"",
     "client.resume: not used by kind handshake_rate: \"handshakes\": {\"resume\": ...}"},
    {"memory-tcp.json", 4, 16, "\"tcp\"", "transport: kind memory needs \"transport\": \"memory\""},
    {"memory-connections-zero.json", 4, 30, "0", "memory.connections: 0 out of range 1-100000"},
    {"memory-unknown-key.json", 4, 15, "\"conns\"",
     "memory.conns: unknown key (memory keys: connections)"},
    {"integrity-tcp.json", 4, 16, "\"tcp\"",
     "transport: kind integrity needs \"transport\": \"memory\": faults are injected into the "
     "in-memory channel"},
    {"integrity-bad-fault.json", 4, 27, "\"bitflip\"",
     "integrity.fault: unknown value \"bitflip\" (known: flip_bit, drop, duplicate, reorder, "
     "truncate, key_update)"},
    {"integrity-no-fault.json", 4, 16, "{",
     "integrity: missing required key \"fault\" (one of: flip_bit, drop,"},
    {"integrity-no-block.json", 1, 1, "{",
     "kind integrity needs \"integrity\": {\"fault\": ...} (one of: flip_bit,"},
    {"integrity-variant-no-fault.json", 5, 17, "{ \"name\": \"none\"",
     "variants[1]: kind integrity needs \"integrity\": {\"fault\": ...}"},
    {"integrity-both.json", 4, 48, "\"both\"",
     "integrity.direction: \"both\" is not possible here"},
    {"integrity-too-few-bytes.json", 4, 44, "65535",
     "integrity.bytes: too few bytes for record 3: 65535 bytes, and (record + 1) x write_size "
     "is 65536"},
    {"integrity-record-too-far.json", 4, 48, "16",
     "integrity.record: too few bytes for record 16: 262144 bytes, and (record + 1) x "
     "write_size is 278528"},
    {"integrity-variant-too-few.json", 6, 60, "100",
     "variants[1].integrity.record: too few bytes for record 100: 100000 bytes, and (record + "
     "1) x write_size is 101000"},
    {"integrity-record-zero.json", 4, 45, "0", "integrity.record: 0 out of range 1-1000"},
    {"integrity-key-update-tls12.json", 4, 27, "\"key_update\"",
     "integrity.fault: key_update needs TLS 1.3 in client.versions and server.versions"},
    {"repeat-handshake.json", 4, 3, "\"repeat\"",
     "repeat: only for the benchmark kinds bulk, handshake_rate, memory and load (this scenario is "
     "kind handshake)"},
    {"repeat-integrity.json", 5, 3, "\"repeat\"", "(this scenario is kind integrity)"},
    {"repeat-zero.json", 4, 13, "0", "repeat: 0 out of range 1-1000"},
    {"repeat-huge.json", 4, 13, "1001", "repeat: 1001 out of range 1-1000"},
    {"repeat-string.json", 4, 13, "\"5\"", "repeat: expected a whole number, got a string"},
    {"repeat-in-variant.json", 4, 32, "\"repeat\"",
     "variants[0].repeat: unknown key (variant keys: name, description, client, server, expect, "
     "deviations, bulk)"},
    {"external-bulk.json", 4, 23, "\"https://example.com:443\"",
     "servers[1]: kind bulk needs both ends in the harness; external targets and fixtures "
     "are for kinds handshake and load"},
    {"external-handshake-rate.json", 4, 15, "\"https://example.com:443\"",
     "servers[0]: kind handshake_rate needs both ends in the harness"},
    /* a list naming one thing twice */
    {"alpn-duplicate.json", 4, 42, "\"h2\"", "client.alpn[2]: \"h2\" listed twice (also [0])"},
    {"clients-duplicate.json", 4, 28, "\"full\"", "clients[2]: \"full\" listed twice (also [0])"},
    {"servers-duplicate.json", 4, 42, "\"https://example.com:443\"",
     "servers[1]: \"https://example.com:443\" listed twice (also [0])"},
    {"suite-filter-duplicate.json", 5, 46, "\"ECDHE\"",
     "suite_filter.kx[2]: \"ECDHE\" listed twice (also [0])"},
    {"deviation-duplicate.json", 4, 70, "{ \"client\": \"full\", \"outcome\": \"expired\"",
     "deviations[1]: a second deviation for the same client and server (also [0])"},
    /* host names: a DNS name or an IP literal, nothing else */
    {"hostname-newline.json", 4, 27, "\"local\\nhost\"",
     "client.hostname: not a DNS name or IP address for the name checked: byte 0x0a"},
    {"hostname-space.json", 4, 27, "\"local host\"", "byte 0x20 is not a letter, digit"},
    {"hostname-too-long.json", 4, 27, "\"aaaa", "255 bytes long; a host name is at most 253"},
    {"hostname-label-too-long.json", 4, 27, "\"aaaa", "a label is longer than 63 bytes"},
    {"hostname-empty-label.json", 4, 27, "\"a..example\"", "an empty label"},
    {"hostname-hyphen.json", 4, 27, "\"-a.example\"", "a label starts or ends with \"-\""},
    {"sni-escape.json", 4, 22, "\"a\\u001b", "client.sni: not a DNS name or IP address for SNI"},
    /* one line each: what came from the input is escaped in the message */
    {"key-escape.json", 4, 15, "\"ver\\u001b", "client.ver\\x1b]0;x\\x07sions: unknown key"},
    {"raw-escape.json", 3, 11, "\x1b[2J", "invalid token near '\\x1b'"},
};

static char data_dir[PATH_MAX];

/* The text at line:col (columns in characters) of file. */
static const char *text_at(const char *text, int line, int col)
{
    const char *p = text;
    for (int l = 1; l < line && p; l++)
        p = (p = strchr(p, '\n')) ? p + 1 : NULL;
    for (int c = 1; p && *p && c < col; c++)
        do
            p++;
        while ((*p & 0xC0) == 0x80);
    return p ? p : "";
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    static char buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_bad(const struct bad *b)
{
    struct th_plan p;
    struct diags ds;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", data_dir, b->file);
    int rc = read_opts(&p, path, NULL, NULL, &ds);
    int two = strcmp(b->file, "two-errors.json") == 0;
    is_int(rc, two ? 2 : 1, "%s: error count", b->file);
    is_int(p.n, 0, "%s: no cases", b->file);
    th_plan_free(&p);
    if (!ds.n)
        return;
    const struct th_diag *d = &ds.d[0];
    char where[PATH_MAX + 128];
    snprintf(where, sizeof where, "%s:%d:%d", path, b->line, b->col);
    char got[PATH_MAX + 128];
    snprintf(got, sizeof got, "%s:%d:%d", d->file, d->line, d->col);
    is_str(got, where, "%s: FILE:LINE:COL", b->file);
    if (!ok(contains(d->msg, b->frag), "%s: message says '%s'", b->file, b->frag))
        printf("#   message: %s\n", d->msg);
    ok(th_text_is_safe(d->msg) && th_text_is_safe(d->file), "%s: one line, no control byte",
       b->file);
    const char *at = text_at(slurp(path), d->line, d->col);
    if (!ok(strncmp(at, b->at, strlen(b->at)) == 0, "%s: points at %s", b->file, b->at))
        printf("#   points at: %.20s\n", at);
}

/* ---- what is not a regular file, or too big to be a scenario ---- */

static const char good_json[] = "{\"name\": \"good\", \"kind\": \"handshake\"}\n";

/* path read alone: one error, no case, a message holding frag, in one line. */
static void refused(const char *path, const char *frag, const char *what)
{
    struct th_plan p;
    struct diags ds;
    uint64_t t0 = th_now_ns();
    int rc = read_opts(&p, path, NULL, NULL, &ds);
    ok(th_now_ns() - t0 < 2000000000ull, "%s: answered at once", what);
    is_int(rc, 1, "%s: one error", what);
    is_int(p.n, 0, "%s: no cases", what);
    if (!ok(ds.n == 1 && contains(ds.d[0].msg, frag), "%s: says '%s'", what, frag) && ds.n)
        printf("#   %s: %s\n", ds.d[0].file, ds.d[0].msg);
    ok(ds.n >= 1 && th_text_is_safe(ds.d[0].msg) && th_text_is_safe(ds.d[0].file), "%s: one line",
       what);
    th_plan_free(&p);
}

static void test_not_regular(void)
{
    char fifo[PATH_MAX], big[PATH_MAX], nl[PATH_MAX], dir[PATH_MAX];
    snprintf(fifo, sizeof fifo, "%s/pipe.json", tmp);
    ok(mkfifo(fifo, 0600) == 0, "make a FIFO");
    /* nothing ever writes to it: reading it must not wait */
    refused(fifo, "cannot read: it is a FIFO, not a regular file", "a FIFO named");
    refused("/dev/zero", "cannot read: it is a character device, not a regular file",
            "/dev/zero named");

    snprintf(big, sizeof big, "%s/big.json", tmp);
    int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ok(fd >= 0 && ftruncate(fd, (off_t)TH_READ_MAX + 1) == 0, "a sparse file past the limit");
    if (fd >= 0)
        close(fd);
    refused(big, "larger than 64 MiB, the limit for an input file", "a file past 64 MiB");

    /* a file name with a newline and an escape: the diagnostic stays one line */
    snprintf(nl, sizeof nl, "%s/a\nb\x1b[2J.json", tmp);
    fd = open(nl, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ok(fd >= 0 && write(fd, "{", 1) == 1, "a broken file with a newline in its name");
    if (fd >= 0)
        close(fd);
    struct th_plan p;
    struct diags ds;
    read_opts(&p, nl, NULL, NULL, &ds);
    ok(ds.n == 1 && contains(ds.d[0].file, "a\\nb\\x1b[2J.json") && th_text_is_safe(ds.d[0].file),
       "its name is escaped in the diagnostic");
    th_plan_free(&p);
    unlink(nl);

    /* a folder: a FIFO, a dangling link and a folder link named .json are each
     * said, the good file beside them still read */
    snprintf(dir, sizeof dir, "%s/dir", tmp);
    mkdir(dir, 0700);
    tmp_file("dir/good.json", good_json);
    char a[PATH_MAX + 16], b[PATH_MAX + 16];
    snprintf(a, sizeof a, "%s/pipe.json", dir);
    snprintf(b, sizeof b, "%s/gone.json", dir);
    ok(mkfifo(a, 0600) == 0 && symlink("no-such-file", b) == 0, "a FIFO and a dangling link");
    snprintf(a, sizeof a, "%s/notes.txt", dir);
    ok(mkfifo(a, 0600) == 0, "a FIFO not named .json");
    int rc = read_opts(&p, dir, NULL, NULL, &ds);
    is_int(rc, 2, "folder: the FIFO and the dangling link are errors, the .txt FIFO ignored");
    ok(p.n > 0, "folder: the good file still makes its cases");
    ok(ds.n == 2 && contains(ds.d[0].file, "gone.json") && contains(ds.d[0].msg, "No such file") &&
           contains(ds.d[1].file, "pipe.json") && contains(ds.d[1].msg, "it is a FIFO"),
       "folder: each named, in order, with why");
    th_plan_free(&p);
}

int main(void)
{
    const char *here = __FILE__, *cut = strstr(here, "unit/test_scenario_bad.c");
    snprintf(data_dir, sizeof data_dir, "%.*sdata/bad", (int)(cut ? cut - here : 0), here);
    if (tmp_setup("test_scenario_bad") < 0)
        return 1;
    for (size_t i = 0; i < TH_ARRAY_LEN(bads); i++)
        test_bad(&bads[i]);
    test_not_regular();
    tmp_cleanup();
    return done_testing();
}
