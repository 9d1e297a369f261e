#!/bin/sh
# Remakes the PEM fixtures of the "bring your own chain" tests (test_scenario_byo.c,
# test_endpoint.c, tests/data/bad/byo-*.json). Not run by the build: the files are
# checked in, valid for 100 years. Run from this folder.
set -eu
days=36500
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days $days \
    -subj "/CN=tlsharness byo test root" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout ca.key.pem -out ca.pem
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout leaf.key.pem -out leaf.csr
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key.pem -CAcreateserial -days $days \
    -extfile leaf.ext -out leaf.pem
rm -f leaf.csr leaf.ext ca.srl
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out other.key.pem
# the chain in the wrong order: the root first, so the key is not the first certificate's
cat ca.pem leaf.pem >wrong-order.pem
# both keys in one file
cat leaf.key.pem other.key.pem >two-keys.pem
# a key with a passphrase ("byo")
openssl pkey -in leaf.key.pem -aes256 -passout pass:byo -out encrypted.key.pem
# a certificate block whose body is not base64
printf -- '-----BEGIN CERTIFICATE-----\n!!!! not base64 !!!!\n-----END CERTIFICATE-----\n' >broken.pem
printf 'This is not a PEM file.\n' >not-pem.txt
# the root's key is not kept: nothing signs with it again
rm -f ca.key.pem
