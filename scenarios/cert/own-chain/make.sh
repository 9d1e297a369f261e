#!/bin/sh
# Remakes the chain scenarios/cert/own-chain.json serves: a root, an intermediate and
# a leaf for "localhost", ECDSA P-256, valid 20 years. Only what the scenario reads is
# kept: root.pem (the client's trust anchor), chain.pem (leaf, then intermediate),
# key.pem (the leaf's key). Run from this folder.
set -eu
days=7300
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
openssl req -x509 $ec -days $days -subj "/CN=own-chain example root" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tmp/root.key" -out root.pem
openssl req -new $ec -subj "/CN=own-chain example intermediate" -keyout "$tmp/int.key" -out "$tmp/int.csr"
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$tmp/int.ext"
openssl x509 -req -in "$tmp/int.csr" -CA root.pem -CAkey "$tmp/root.key" -CAcreateserial \
    -CAserial "$tmp/root.srl" -days $days -extfile "$tmp/int.ext" -out "$tmp/int.pem"
openssl req -new $ec -subj "/CN=localhost" -keyout key.pem -out "$tmp/leaf.csr"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$tmp/leaf.ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/int.pem" -CAkey "$tmp/int.key" -CAcreateserial \
    -CAserial "$tmp/int.srl" -days $days -extfile "$tmp/leaf.ext" -out "$tmp/leaf.pem"
cat "$tmp/leaf.pem" "$tmp/int.pem" >chain.pem
chmod 644 root.pem chain.pem key.pem
