#!/bin/bash
# The CI examples (ci/examples/) work: yamllint passes them; every tlsharness
# command line in them is one the CLI accepts, shards cover 1..N once, a committed
# baseline holds the cases of the run it gates, JUnit is published and HTML uploaded
# (tests/tools/ci_examples.py check, which must also catch a broken copy); and the
# shard path of each spreading example runs end to end: its shard step for every
# index, then its merge, report, verdict and gate steps, against an unsharded run.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # Debian's, with python3-yaml (yamllint's)
TOOL="$ROOT/tests/tools/ci_examples.py"
EXAMPLES=(ci/examples/*.yml ci/examples/*.yaml)
ok_or_show() { # RC TEXT DESCRIPTION: ok, with TEXT as the diagnostics when not
    ok "$1" "$3"
    [ "$1" -eq 0 ] || printf '%s\n' "$2" | head -40 | sed 's/^/#   /'
}

# ---- the linter ----
command -v yamllint > /dev/null
ok $? "yamllint is installed (ci/deps.sh)"
out=$(yamllint -s -c ci/yamllint.yml "${EXAMPLES[@]}" 2>&1)
ok_or_show $? "$out" "yamllint passes ${#EXAMPLES[@]} examples"
printf 'jobs:\n  a: 1\n  a: 2\n' > "$TMP/dup.yml"
yamllint -s -c ci/yamllint.yml "$TMP/dup.yml" > /dev/null 2>&1
ok "$([ $? -ne 0 ]; echo $?)" "yamllint fails a duplicated key"

# ---- the command lines ----
out=$("$PY" "$TOOL" check --bin "$TH_BIN" "${EXAMPLES[@]}" 2>&1)
ok_or_show $? "$out" "every tlsharness command line of the examples is one the CLI accepts"
like "$out" "checked ([2-9][0-9]|[0-9]{3,}) tlsharness command lines in ${#EXAMPLES[@]} files: 0 problems" \
    "and there are many of them"

# A broken copy of an example must be caught (the checker reads paths from ROOT).
broken() { # NAME SED-SCRIPT SOURCE PATTERN DESCRIPTION
    sed "$2" "$3" > "$TMP/$1"
    local o
    o=$("$PY" "$TOOL" check --bin "$TH_BIN" "$TMP/$1" 2>&1)
    is "$?" 1 "$5: exit 1"
    like "$o" "$4" "$5: says so"
}
broken k8s.yaml 's/JOB_COMPLETION_INDEX + 1))\/\$SHARDS/JOB_COMPLETION_INDEX))\/$SHARDS/' \
    ci/examples/k8s-indexed-job.yaml "copy 1 of 3 runs --shard 0/3|not 1..3" \
    "an Indexed Job's 0-based index used as the shard"
broken gh.yml 's/matrix.shard }}\/3/matrix.shard }}\/4/' ci/examples/github-actions-shards.yml \
    "N is not the job's count" "a matrix of 3 running --shard I/4"
broken gl.yml 's/- make run/- .\/tlsharness run --quick --juint x.xml/' \
    ci/examples/gitlab-ci.yml "no option --juint" "a misspelt option"
broken gl2.yml '/reports:/,/junit:/d' ci/examples/gitlab-ci.yml "not published as a test report" \
    "JUnit written but not in artifacts:reports:junit"
broken gh2.yml 's/results\/baselines\/bench.json/results\/baselines\/nothing.json/g' \
    ci/examples/github-actions.yml "baseline results/baselines/nothing.json is not committed" \
    "a gate against a baseline that is not there"
broken gh3.yml 's/scenarios\/memory$/scenarios\/memory scenarios\/bulk\/cbc.json/' \
    ci/examples/github-actions.yml "baseline results/baselines/bench.json holds [0-9]+ cases, the run it gates [0-9]+" \
    "a baseline that no longer holds the cases the run gates"

# ---- the shard path, end to end ----
# A work folder like a checkout: ./tlsharness, a small scenarios/ (three files
# between the three libraries, conformance only: compare must see no change).
W="$TMP/w"
mkdir -p "$W/scenarios" "$W/results" "$W/out"
ln -s "$TH_BIN" "$W/tlsharness"
for f in cert/expired handshake/versions cipher/no-overlap; do
    mkdir -p "$W/scenarios/${f%/*}"
    jq '.clients = ["openssl", "gnutls", "mbedtls"] | .servers = ["openssl", "gnutls", "mbedtls"]' \
        "scenarios/$f.json" > "$W/scenarios/$f.json"
done
(cd "$W" && ./tlsharness run -o "$TMP/whole.json" > /dev/null 2>&1)
ok $? "the unsharded run of the small set"
cases() { jq -r '.cases[] | "\(.id) \(.status)"' "$1" | sort; }
cases "$TMP/whole.json" > "$TMP/whole.cases"
ok "$([ "$(wc -l < "$TMP/whole.cases")" -ge 30 ]; echo $?)" "it has cases ($(wc -l < "$TMP/whole.cases"))"

job() { # FILE JOB INDEX REF: run the job's tlsharness steps in the work folder
    "$PY" "$TOOL" script "$1" "$2" --index "$3" --ref "$4" --root "$W" > "$TMP/job.sh" &&
        (cd "$W" && bash "$TMP/job.sh") > "$TMP/job.out" 2>&1
}
for ex in github-actions-shards.yml gitlab-ci-shards.yml k8s-indexed-job.yaml; do
    f=ci/examples/$ex
    info=$("$PY" "$TOOL" info "$f")
    shard=$(awk '$2 > 1 { print $1; exit }' <<< "$info")
    n=$(awk '$2 > 1 { print $2; exit }' <<< "$info")
    verdict=$(awk '/ BASE=/ { print $1 }' <<< "$info")
    base=$(sed -n 's/.* BASE=//p' <<< "$info")
    base=$W/${base#/}
    ok "$([ -n "$shard" ] && [ -n "$verdict" ] && [ "$n" -ge 2 ]; echo $?)" \
        "$ex: a job of $n copies ($shard) and a gate job ($verdict, baseline ${base#"$W"/})"
    rm -rf "$W/results"/* "$W/out"/*
    for i in $(seq "$n"); do
        job "$f" "$shard" "$i" topic
        ok_or_show $? "$(cat "$TMP/job.out")" "$ex: $shard, copy $i of $n"
    done
    shards=$(find "$W/results" "$W/out" -name 'shard-*.json' | sort)
    is "$(wc -w <<< "$shards")" "$n" "$ex: $n shard results files"
    mkdir -p "$TMP/saved" && rm -f "$TMP/saved"/* && cp $shards "$TMP/saved/"
    dir=$(dirname "$(head -1 <<< "$shards")")

    cp "$TMP/whole.json" "$base"
    job "$f" "$verdict" 1 topic
    ok_or_show $? "$(cat "$TMP/job.out")" "$ex: $verdict: merge, report, verdict and gate against the unsharded run"
    like "$(cat "$TMP/job.out")" "^no regression" "$ex: compare ran and found no regression"
    all=$(find "$W/results" "$W/out" -name 'all.json' | head -1)
    cases "$all" > "$TMP/merged.cases"
    cmp -s "$TMP/whole.cases" "$TMP/merged.cases"
    ok $? "$ex: the merged shards hold the same case ids and statuses as the unsharded run"
    ok "$([ -s "${all%.json}.html" ]; echo $?)" "$ex: the HTML report is written"

    for ref in topic main; do
        rm -f "$base" && cp "$TMP/saved"/* "$dir/"
        job "$f" "$verdict" 1 $ref
        rc=$?
        if [ "$ex" = k8s-indexed-job.yaml ] || [ $ref = main ]; then
            is $rc 0 "$ex: no baseline on $ref: the first run goes on"
        else
            ok "$([ $rc -ne 0 ]; echo $?)" "$ex: no baseline on $ref: the gate fails"
        fi
        like "$(cat "$TMP/job.out")" "NO BASELINE" "$ex: and says so loudly"
        [ "$ex" = k8s-indexed-job.yaml ] && break # one volume, no branches
    done
done
done_testing
