# What the probe tests share (sourced after lib.sh, with P set to the test PKI).

# The leaf, then what its chain file holds after it: the chain a server sends.
start_s_server() { # CERT ARGS... ; sets PORT
    local cert=$1
    shift
    sed '1,/END CERTIFICATE/d' "$P/$cert.chain.pem" > "$TMP/$cert.rest.pem"
    start_on_port "$TMP/s_server.log" openssl s_server -accept "127.0.0.1:@PORT@" -cert "$P/$cert.pem" \
        -cert_chain "$TMP/$cert.rest.pem" -key "$P/$cert.key.pem" -www -quiet "$@"
}

# The report in OUT, the exit status in RC; the probe's own words shown when it
# failed as a program (not 1, the server not answered, nor 4, a --fail-on finding).
probe_json() { # OUT ARGS...
    timeout 120 "$TH_BIN" probe --json "${@:2}" > "$1" 2> "$1.err"
    RC=$?
    [ $RC -le 1 ] || [ $RC -eq 4 ] || sed 's/^/#   /' "$1.err"
}
j() { jq -r "$1" "$2"; }
