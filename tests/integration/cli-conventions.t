#!/bin/bash
# The command line's conventions: --help and -h on every command, options anywhere
# among the paths, a selection of nothing is exit 2 and writes nothing, and an
# installed tlsharness finds its scenarios, templates and man page from any folder.
. "$(dirname "$0")/lib.sh"
X=$TMP/x
mkdir -p "$X"
st() { "$TH_BIN" "$@" > "$TMP/o" 2> "$TMP/e"; echo $?; } # status; output in o, e

# ---- --help and -h, every command in the table ----
commands=$("$TH_BIN" help | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p')
ok "$([ "$(echo $commands | wc -w)" -ge 12 ]; echo $?)" "help lists the commands ($(echo $commands))"
for c in $commands; do
    for h in --help -h; do
        is "$(st "$c" $h)" 0 "$c $h: exit 0"
        like "$(head -1 "$TMP/o")" "^usage: tlsharness " "$c $h: a usage on stdout"
        like "$(cat "$TMP/o")" "tlsharness $c( |,|\$)" "$c $h: naming $c"
        is "$(cat "$TMP/e")" "" "$c $h: nothing on stderr"
    done
done
like "$("$TH_BIN" run --help)" '--backends LIST' "run --help lists run's options"
like "$("$TH_BIN" compare --help)" '--threshold PCT' "compare --help lists compare's options"
"$TH_BIN" compare --help | grep -q -- '--backends'
is $? 1 "and not run's"
is "$("$TH_BIN" help probe)" "$("$TH_BIN" probe --help)" "help COMMAND is COMMAND --help"

# --help anywhere: it ends the command before anything runs or is written
is "$(st run -o "$TMP/h.json" scenarios/cert/expired.json --help)" 0 "run PATH --help: exit 0"
ok "$([ ! -e "$TMP/h.json" ]; echo $?)" "and nothing was run or written"
(cd "$X" && "$TH_BIN" pki --help > /dev/null && "$TH_BIN" pki -h > /dev/null &&
    "$TH_BIN" pki "$X/p" --help > /dev/null)
ok $? "pki --help, -h, DIR --help: exit 0"
is "$(ls -A "$X")" "" "pki --help writes no folder"
ok "$([ ! -e "$TLSHARNESS_PKI" ]; echo $?)" "nor the default PKI"

# ---- what is wrong: exit 2 and the command's usage ----
is "$(st run --filtr 'x*')" 2 "a typo'd option: exit 2"
like "$(cat "$TMP/e")" "run: unknown or incomplete option '--filtr' \(did you mean '--filter'\?\)" \
    "names it and the nearest option"
like "$(cat "$TMP/e")" "^usage: tlsharness run \[PATH\.\.\.\] \(see 'tlsharness run --help'\)" \
    "with the command's usage hint"
is "$(st compare a.json b.json --floor)" 2 "an option without its value: exit 2"
like "$(cat "$TMP/e")" "'--floor' \(it needs a value\)" "says it needs a value"
is "$(st list --quick=1)" 2 "a value given to a flag: exit 2"
like "$(cat "$TMP/e")" "it takes no value" "says so"
is "$(st rnu)" 2 "an unknown command: exit 2"
like "$(cat "$TMP/e")" "unknown command 'rnu' \(did you mean 'run'\?\)" "suggests the nearest command"
is "$(st valdiate)" 2 "another typo: exit 2"
like "$(cat "$TMP/e")" "did you mean 'validate'" "suggests validate"
is "$(st frobnicate)" 2 "a word near no command: exit 2"
like "$(cat "$TMP/e")" "^commands: run list validate" "lists the commands instead"

# ---- options anywhere among the paths; -- ends them ----
E=scenarios/cert/expired.json
is "$("$TH_BIN" list $E -b openssl)" "cert/expired/openssl-vs-openssl" "list PATH -b NAME"
is "$("$TH_BIN" list -f '*openssl-vs-openssl' $E -b openssl,gnutls)" \
    "cert/expired/openssl-vs-openssl" "options before, among and after"
is "$(st run $E -b openssl -o "$TMP/after.json")" 0 "run PATH -b NAME -o FILE: exit 0"
is "$(jq -r '[.cases[].client] | unique | join(",")' "$TMP/after.json")" openssl \
    "the -b after the path was applied"
is "$("$TH_BIN" validate $E -b openssl)" "ok: 1 cases (0 would skip for a missing capability)" \
    "validate PATH -b NAME"
mkdir -p "$X/d"
cp $E "$X/d/-x.json"
is "$(cd "$X/d" && "$TH_BIN" list -b openssl -- -x.json)" "cert/expired/openssl-vs-openssl" \
    "-- ends the options: a path that begins with -"
is "$(cd "$X/d" && "$TH_BIN" list -b openssl -x.json > /dev/null 2>&1; echo $?)" 2 \
    "without --, it is an option: exit 2"

# ---- a selection of nothing: exit 2, and no results written ----
"$TH_BIN" run -b openssl -o "$TMP/keep.json" $E > /dev/null 2>&1
ok $? "a good run writes its results"
before=$(md5sum < "$TMP/keep.json")
is "$(st run -b openssl -f 'typo*' -o "$TMP/keep.json")" 2 "run -f 'typo*': exit 2"
like "$(cat "$TMP/e")" "-f 'typo\*' matches none of the [0-9]+ case ids that -b 'openssl' keeps" \
    "says the filter selected nothing"
is "$(md5sum < "$TMP/keep.json")" "$before" "the earlier results file is untouched"
is "$(st run -f 'typo*' -o "$TMP/new.json" scenarios/cert)" 2 "run -f 'typo*' PATH: exit 2"
ok "$([ ! -e "$TMP/new.json" ]; echo $?)" "and writes no results file"
is "$(st list -f 'typo*')" 2 "list -f 'typo*': exit 2"
is "$(cat "$TMP/o")" "" "and lists nothing"
for b in '' ',,,' ' , '; do
    is "$(st run -b "$b" -o "$TMP/keep.json" $E)" 2 "run -b '$b': exit 2"
    like "$(cat "$TMP/e")" "-b: '$b' names no backend \(compiled in: openssl" "says it names no backend"
    is "$(st list -b "$b" $E)" 2 "list -b '$b': exit 2"
done
is "$(md5sum < "$TMP/keep.json")" "$before" "the results file is still untouched"
is "$(st run -b mbedtls -f 'cert/expired/openssl*' -o "$TMP/new.json" $E)" 2 \
    "-b and -f that meet on no case: exit 2"
like "$(cat "$TMP/e")" "-f 'cert/expired/openssl\*' matches none of the [0-9]+ case ids that -b 'mbedtls' keeps" \
    "blames the filter, with what -b keeps"
mkdir -p "$X/empty"
is "$(st run -o "$TMP/new.json" "$X/empty")" 2 "run EMPTY-FOLDER: exit 2"
like "$(cat "$TMP/e")" "no case to run: .*/empty holds no scenario" "says the folder holds nothing"
ok "$([ ! -e "$TMP/new.json" ]; echo $?)" "and writes no results file"
is "$(st list "$X/empty")" 2 "list EMPTY-FOLDER: exit 2"

# ---- installed: from another folder, it finds its scenarios, templates, man page ----
make --no-print-directory -o tlsharness -o "$TH_BUILD/tlsharness" install BUILD="$TH_BUILD" \
    PREFIX="$TMP/inst" > "$TMP/install.log" 2>&1
ok $? "make install PREFIX=\$TMP/inst"
I=$TMP/inst
for f in bin/tlsharness share/tlsharness/fixtures/nginx.conf.in share/man/man1/tlsharness.1 \
    share/tlsharness/scenarios/cert/expired.json share/tlsharness/scenarios/README.md; do
    [ -s "$I/$f" ]
    ok $? "installed $f"
done
is "$(cd "$I/share/tlsharness" && find scenarios -name '*.json' | sort | md5sum)" \
    "$(find scenarios -name '*.json' | sort | md5sum)" "every shipped scenario is installed"
mkdir -p "$X/away"
away() { (cd "$X/away" && env -u TLSHARNESS_PKI XDG_DATA_HOME="$TMP/xdg" "$@"); }
is "$(away "$I/bin/tlsharness" list -b openssl -f 'handshake/version*' | wc -l)" \
    "$("$TH_BIN" list -b openssl -f 'handshake/version*' | wc -l)" \
    "list with no PATH, from another folder: the installed scenarios"
out=$(away "$I/bin/tlsharness" run -b openssl -f 'handshake/version*' 2>&1)
is $? 0 "run -b openssl -f 'handshake/version*' from another folder: exit 0"
like "$out" "results: $TMP/xdg/tlsharness/results/latest.json" "says where it wrote"
is "$(jq -r '.summary.pass' "$TMP/xdg/tlsharness/results/latest.json")" \
    "$(away "$I/bin/tlsharness" list -b openssl -f 'handshake/version*' | wc -l)" \
    "every case ran and passed"
like "$(jq -r '.cases[0].file' "$TMP/xdg/tlsharness/results/latest.json")" \
    "^$I/share/tlsharness/scenarios/handshake/" "read from the installed scenarios"
ok "$([ -s "$TMP/xdg/tlsharness/pki/root.pem" ]; echo $?)" "the PKI went to the data folder"
is "$(ls -A "$X/away")" "" "nothing written in the current folder"
mkdir -p "$TMP/home"
(cd "$X/away" && env -u TLSHARNESS_PKI -u XDG_DATA_HOME HOME="$TMP/home" "$I/bin/tlsharness" \
    run -b openssl "$ROOT/$E" > /dev/null 2>&1)
ok "$([ -s "$TMP/home/.local/share/tlsharness/results/latest.json" ]; echo $?)" \
    "without XDG_DATA_HOME: ~/.local/share/tlsharness/results"
# in a checkout (scenarios/ and harness/), results go to its results/, as always
mkdir -p "$X/co/scenarios" "$X/co/harness"
cp $E "$X/co/scenarios/"
(cd "$X/co" && env -u TLSHARNESS_PKI "$I/bin/tlsharness" run -b openssl > /dev/null 2>&1)
ok "$([ -s "$X/co/results/latest.json" ] && [ -s "$X/co/results/pki/root.pem" ]; echo $?)" \
    "in a checkout: its results/ and results/pki"

# the templates: a fixture case from another folder runs with the installed ones
if [ -x /usr/sbin/nginx ] || command -v nginx > /dev/null; then
    fx=(-b openssl,fixture:nginx -f 'cert/expired/openssl-vs-fixture:nginx')
    away "$I/bin/tlsharness" run "${fx[@]}" -o "$TMP/fx.json" > "$TMP/fx.out" 2>&1
    is "$(jq -r '.cases[0].status' "$TMP/fx.json")" pass "a fixture case finds the installed templates"
    cp -a "$I" "$TMP/bare"
    rm -rf "$TMP/bare/share/tlsharness/fixtures" "$TMP/bare/share/tlsharness/scenarios"
    away "$TMP/bare/bin/tlsharness" run "${fx[@]}" -o "$TMP/fx2.json" \
        "$I/share/tlsharness/scenarios/cert" > /dev/null 2>&1
    is "$(jq -r '.cases[0].status' "$TMP/fx2.json")" error "without them, the same case cannot run"
    is "$(away "$TMP/bare/bin/tlsharness" list > /dev/null 2> "$TMP/e"; echo $?)" 2 \
        "without installed scenarios, list with no PATH: exit 2"
    like "$(cat "$TMP/e")" "no scenarios/ in this folder and none installed" "says so"
else
    ok 0 "# SKIP nginx not installed"
fi

# the man page: every command of the table has its entry, and it renders
M=$I/share/man/man1/tlsharness.1
for c in $commands; do
    grep -Eq "^\.SS \"([a-z]+ [^,]*, )?$c( |\"|,)" "$M"
    ok $? "the man page has an entry for $c"
done
if command -v man > /dev/null; then
    page=$(MANWIDTH=80 man -l "$M" 2> "$TMP/man.err")
    is $? 0 "man -l renders the page"
    like "$page" "^TLSHARNESS\(1\)" "with its header"
    like "$page" "~/.local/share/tlsharness" "and the default data folder"
    is "$(grep -v '^$' "$TMP/man.err")" "" "without a warning"
else
    grep -q '^\.TH TLSHARNESS 1' "$M" && grep -q '^\.SH NAME' "$M" && grep -q '^\.SH SYNOPSIS' "$M"
    ok $? "the roff has .TH, NAME and SYNOPSIS (man is not installed)"
fi
if command -v groff > /dev/null; then
    is "$(groff -man -Tutf8 -ww -z "$M" 2>&1)" "" "groff -ww finds nothing to warn about"
fi
done_testing
