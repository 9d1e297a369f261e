#!/usr/bin/python3
"""Reads the CI examples (ci/examples/*.yml, *.yaml) as their engines would, for
tests/integration/ci-examples.t. No engine's own linter is packaged for Debian 12
(actionlint is not; yamllint checks only the YAML), so this checks what a broken
example would get wrong:

  ci_examples.py check --bin TLSHARNESS FILE...
      every tlsharness command line of every step, expanded as the engine would
      for each index of its job (matrix, parallel, Indexed Job), is one the CLI
      accepts: the command exists, its options exist, run's selection lists
      cases; --shard I/N covers 1..N once with N the engine's count; a committed
      baseline exists and holds exactly the cases of the run it gates; every JUnit
      file written is published and every HTML report uploaded; actions are pinned.
      One line per finding; exit 1 if any.
  ci_examples.py info FILE
      one line per job: NAME COUNT, and BASE=PATH when the job compares with one
  ci_examples.py script FILE JOB [--index I] [--ref BRANCH] [--root DIR]
      a bash script running the job's tlsharness steps (not those that install,
      build or fetch) with the engine's variables for shard I, in the current
      folder; a volume mounted at /M is DIR/M.

python3-yaml comes with Debian's yamllint, which make deps installs.
"""
import fnmatch
import os
import re
import shlex
import subprocess
import sys

import yaml

DEFAULT_BRANCH = "main"
SKIPPED_WORDS = {"apt-get", "make", "git", "curl"}  # install, build, fetch
TH_RE = re.compile(r"(?:^|(?<=[\s;&|(]))(?:\.?/[\w./-]*/|\./)?tlsharness[ \t]+([^\n;&|]*)")
MAKE_RE = re.compile(r"(?:^|[;&|(])[ \t]*make\b([^\n;&|]*)", re.M)  # make as a command, not an argument
EXPR_RE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
PINNED_RE = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+)*|[0-9a-f]{40})$")
JUNIT_ACTIONS = {"mikepenz/action-junit-report": "report_paths", "dorny/test-reporter": "path"}


class Job:
    """One job as its engine runs it: COUNT copies (a matrix, parallel: N, an
    Indexed Job), each a list of steps (name, shell text, env, condition)."""

    def __init__(self, engine, name, raw, count=1):
        self.engine, self.name, self.raw, self.count = engine, name, raw, count
        self.steps = []  # (name, text, env, cond, shell)
        self.env = {}
        self.needs = []
        self.mounts = []

    def index_env(self, i, ref):
        """The variables the engine gives copy I (1-based) of the job."""
        if self.engine == "github":
            return {"GITHUB_REF_NAME": ref, "GITHUB_WORKSPACE": os.getcwd()}
        if self.engine == "gitlab":
            e = {"CI_COMMIT_BRANCH": ref, "CI_DEFAULT_BRANCH": DEFAULT_BRANCH}
            if self.count > 1:
                e.update(CI_NODE_INDEX=str(i), CI_NODE_TOTAL=str(self.count))
            return e
        return {"JOB_COMPLETION_INDEX": str(i - 1)} if self.count > 1 else {}

    def expand(self, text, i, ref):
        """GitHub's ${{ }} expressions for copy I; an unknown one is an error."""
        if self.engine != "github":
            return text
        shard = self.raw.get("strategy", {}).get("matrix", {}).get("shard")
        known = {
            "matrix.shard": str(shard[i - 1]) if shard else None,
            "strategy.job-total": str(self.count),
            "strategy.job-index": str(i - 1),
            "github.ref_name": ref,
            "github.event.repository.default_branch": DEFAULT_BRANCH,
            "github.run_id": "1",
        }

        def one(m):
            if known.get(m.group(1)) is None:
                raise ValueError("unknown expression ${{ %s }}" % m.group(1))
            return known[m.group(1)]

        return EXPR_RE.sub(one, text)


def github_jobs(doc):
    out = []
    for name, raw in doc.get("jobs", {}).items():
        shard = raw.get("strategy", {}).get("matrix", {}).get("shard")
        job = Job("github", name, raw, len(shard) if shard else 1)
        job.env = dict(doc.get("env", {}), **raw.get("env", {}))
        needs = raw.get("needs", [])
        job.needs = [needs] if isinstance(needs, str) else list(needs)
        for k, s in enumerate(raw.get("steps", [])):
            if "run" in s:
                job.steps.append((s.get("name", "step %d" % (k + 1)), s["run"], s.get("env", {}),
                                  s.get("if"), ["bash", "-e", "-c"]))
        out.append(job)
    return out


GITLAB_KEYWORDS = {"stages", "variables", "default", "workflow", "include", "image", "services",
                   "before_script", "after_script", "cache"}


def gitlab_jobs(doc):
    out = []
    for name, raw in doc.items():
        if name in GITLAB_KEYWORDS or name.startswith(".") or not isinstance(raw, dict):
            continue
        par = raw.get("parallel", 1)
        job = Job("gitlab", name, raw, par if isinstance(par, int) else 1)
        job.env = dict(doc.get("variables", {}), **raw.get("variables", {}))
        job.needs = [n if isinstance(n, str) else n.get("job") for n in raw.get("needs", [])]
        # one shell session for the whole script, stopping at the first failure
        lines = []
        for item in raw.get("before_script", []) + raw.get("script", []):
            lines.extend(item if isinstance(item, list) else [item])
        for k, line in enumerate(lines):
            job.steps.append(("script line %d" % (k + 1), line, {}, None, ["bash", "-e", "-c"]))
        out.append(job)
    return out


def k8s_jobs(docs):
    out = []
    for doc in docs:
        if doc.get("kind") != "Job":
            continue
        spec = doc["spec"]
        indexed = spec.get("completionMode") == "Indexed"
        job = Job("k8s", doc["metadata"]["name"], doc, spec.get("completions", 1) if indexed else 1)
        for c in spec["template"]["spec"]["containers"]:
            cmd = list(c.get("command", [])) + list(c.get("args", []))
            if len(cmd) == 3 and cmd[1] == "-c":
                text, shell = cmd[2], [cmd[0], "-c"]
            else:
                text, shell = shlex.join(cmd), ["sh", "-c"]
            env = {e["name"]: str(e["value"]) for e in c.get("env", []) if "value" in e}
            job.steps.append((c["name"], text, env, None, shell))
            job.mounts += [m["mountPath"] for m in c.get("volumeMounts", [])]
        out.append(job)
    return out


def load(path):
    docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    if "apiVersion" in docs[0]:
        return k8s_jobs(docs)
    if "jobs" in docs[0]:
        return github_jobs(docs[0])
    return gitlab_jobs(docs[0])


def join_lines(text):
    return re.sub(r"\\\n\s*", " ", text)


def shell_words(args, env):
    """ARGS as the shell would split and expand them with ENV (no globbing)."""
    r = subprocess.run(["bash", "-c", 'set -f; eval "set -- $1"; [ $# -eq 0 ] || printf "%s\\0" "$@"', "_", args],
                       env=dict(os.environ, **env), capture_output=True, text=True)
    if r.returncode != 0:
        raise ValueError("the shell cannot expand '%s': %s" % (args, r.stderr.strip()))
    return r.stdout.split("\0")[:-1]


# ---- what the CLI accepts ----

class Cli:
    def __init__(self, binary):
        self.bin = binary
        self.general = self.run("help").stdout
        self.cache = {}

    def run(self, *argv):
        return subprocess.run([self.bin, *argv], capture_output=True, text=True)

    def help(self, cmd):
        """The command's own help, else its section of `tlsharness help` (list and
        validate take run's options)."""
        if cmd not in self.cache:
            r = self.run(cmd, "--help")
            text = r.stdout if r.returncode == 0 else None
            if text is None:
                name = "run" if cmd in ("list", "validate") else cmd
                m = re.search(r"^  %s\b.*?(?=^  [a-z]|\Z)" % re.escape(name), self.general, re.S | re.M)
                text = m.group(0) if m else None
            self.cache[cmd] = text
        return self.cache[cmd]

    def options(self, cmd):
        """{option: takes a value} from the help text's option lines."""
        opts = {}
        for line in (self.help(cmd) or "").splitlines():
            m = re.match(r"\s*((?:-\w,\s*)?--?[\w-]+)([ =](?:[A-Z][A-Z0-9_]*(?:/[A-Z]+)?|[a-z_]+(?:\|[a-z_]+)+))?",
                         line)
            if not m or not line.lstrip().startswith("-"):
                continue
            for o in re.findall(r"--?[\w-]+", m.group(1)):
                opts[o] = bool(m.group(2))
        return opts


def split_args(cli, cmd, argv):
    """(options as (name, value), positionals, problems) of one command line."""
    opts, pos, bad = [], [], []
    known = cli.options(cmd)
    k = 0
    while k < len(argv):
        a = argv[k]
        if a.startswith("-") and a != "-":
            name, eq, val = a.partition("=")
            if name not in known:
                bad.append("'%s %s': no option %s (tlsharness %s --help)" % (cmd, " ".join(argv), name, cmd))
            elif known[name] and not eq:
                k += 1
                val = argv[k] if k < len(argv) else None
            opts.append((name, val))
        else:
            pos.append(a)
        k += 1
    return opts, pos, bad


def opt(opts, *names):
    vals = [v for n, v in opts if n in names]
    return vals[-1] if vals else None


# ---- check ----

class Checker:
    def __init__(self, cli, path):
        self.cli, self.path = cli, path
        self.found = []
        self.n = 0

    def bad(self, where, msg):
        self.found.append("%s: %s: %s" % (self.path, where, msg))

    def commands(self, job, i, ref="topic"):
        """[(step, 'tlsharness'|'make', argv)] of copy I of JOB."""
        out = []
        for name, text, env, _cond, _shell in job.steps:
            where = "%s: %s" % (job.name, name)
            try:
                text = join_lines(job.expand(text, i, ref))
                env = dict(job.env, **{k: job.expand(str(v), i, ref) for k, v in env.items()}, **job.index_env(i, ref))
                for m in TH_RE.finditer(text):
                    out.append((where, "tlsharness", shell_words(m.group(1), env)))
                for m in MAKE_RE.finditer(text):
                    out.append((where, "make", shell_words(m.group(1), env)))
            except ValueError as e:
                self.bad(where, str(e))
        return out

    def check_make(self, where, argv):
        targets = [a for a in argv if not a.startswith("-") and "=" not in a] or ["all"]
        mk = open("Makefile").read()
        for t in targets:
            if not re.search(r"^(?:[^\s:=#]+ )*%s(?: [^\s:=#]+)*:(?!=)" % re.escape(t), mk, re.M):
                self.bad(where, "make %s: no such target in the Makefile" % t)

    def check_tlsharness(self, where, argv):
        """Returns what the command writes and reads: {'out': [...], 'junit': [...],
        'html': [...], 'shard': 'I/N' or None, 'compare': (base, new) or None}."""
        self.n += 1
        info = {"out": [], "junit": [], "html": [], "shard": None, "compare": None, "run": None}
        if not argv:
            self.bad(where, "tlsharness without a command")
            return info
        cmd, rest = argv[0], argv[1:]
        if self.cli.help(cmd) is None:
            self.bad(where, "tlsharness %s: no such command" % cmd)
            return info
        opts, pos, bad = split_args(self.cli, cmd, rest)
        for b in bad:
            self.bad(where, b)
        if cmd in ("run", "list"):
            info["shard"] = opt(opts, "--shard")
            info["out"] += [v for v in [opt(opts, "-o", "--out")] if v]
            info["junit"] += [v for v in [opt(opts, "--junit")] if v]
            info["html"] += [v for v in [opt(opts, "--html")] if v]
            sel = []
            for n, v in opts:
                if n in ("-b", "--backends", "-f", "--filter", "--shard"):
                    sel += [n, v]
            info["run"] = sel + pos
            r = self.cli.run("list", *sel, *pos)
            if bad:
                pass  # an unknown option leaves the selection unknown
            elif r.returncode != 0 or not r.stdout.strip():
                self.bad(where, "'%s' selects no case: tlsharness list %s: exit %d %s" % (
                    " ".join(argv), " ".join(sel + pos), r.returncode, r.stderr.strip()))
        elif cmd == "compare":
            if len(pos) != 2:
                self.bad(where, "compare takes BASE NEW, given %s" % pos)
            else:
                info["compare"] = tuple(pos)
        elif cmd == "merge":
            if len(pos) < 2:
                self.bad(where, "merge takes OUT FILE..., given %s" % pos)
            else:
                info["out"].append(pos[0])
        elif cmd == "report":
            out = opt(opts, "-o", "--out")
            if len(pos) != 1 or not out:
                self.bad(where, "report takes RESULTS -o FILE.html, given %s" % " ".join(rest))
            else:
                info["html"].append(out)
        return info

    def check_baseline(self, where, base, new, runs):
        """A committed baseline exists, is a results file, and holds the cases of the
        run that writes NEW, no more and no fewer."""
        if not base.startswith("results/baselines/"):
            return
        if not os.path.isfile(base):
            self.bad(where, "baseline %s is not committed" % base)
            return
        r = self.cli.run("compare", base, base)
        if r.returncode != 0:
            self.bad(where, "baseline %s: compare with itself: exit %d %s" % (base, r.returncode, r.stderr.strip()))
        sel = runs.get(new)
        if sel is None:
            self.bad(where, "no run in this job writes %s" % new)
            return
        want = sorted(self.cli.run("list", *sel).stdout.split())
        got = sorted(subprocess.run(["jq", "-r", ".cases[].id", base], capture_output=True, text=True).stdout.split())
        if want != got:
            self.bad(where, "baseline %s holds %d cases, the run it gates %d (refresh it: ci/README.md)" % (
                base, len(got), len(want)))

    def check_job(self, job, jobs):
        shards, writes = {}, {"junit": [], "html": []}
        for i in range(1, job.count + 1):
            runs = {}
            for where, kind, argv in self.commands(job, i):
                if kind == "make":
                    self.check_make(where, argv)
                    if argv[:1] == ["run"] or argv[:1] == ["run-full"]:
                        writes["junit"].append("results/latest.xml")
                        writes["html"].append("results/latest.html")
                    continue
                info = self.check_tlsharness(where, argv)
                if info["shard"]:
                    shards.setdefault(i, []).append(info["shard"])
                for o in info["out"]:
                    if info["run"] is not None:
                        runs[o] = info["run"]
                writes["junit"] += info["junit"]
                writes["html"] += info["html"]
                if info["compare"] and i == 1:
                    self.check_baseline(where, *info["compare"], runs)
        self.check_shards(job, shards)
        return writes

    def check_shards(self, job, shards):
        if job.count == 1 and not shards:
            return
        got = []
        for i in range(1, job.count + 1):
            s = shards.get(i, [])
            if len(s) != 1:
                self.bad(job.name, "copy %d of %d runs %d shards (%s), not one" % (i, job.count, len(s), s))
                continue
            m = re.fullmatch(r"(\d+)/(\d+)", s[0])
            if not m or int(m.group(2)) != job.count:
                self.bad(job.name, "copy %d of %d runs --shard %s: N is not the job's count" % (i, job.count, s[0]))
                continue
            got.append(int(m.group(1)))
        if sorted(got) != list(range(1, job.count + 1)) and len(got) == job.count:
            self.bad(job.name, "the copies run shards %s, not 1..%d once each" % (sorted(got), job.count))

    def check_published(self, jobs, writes):
        """Every JUnit file reaches the engine's test report, every HTML report an
        artifact, in the job that wrote it or (GitHub) one that needs it."""
        if jobs[0].engine == "k8s":
            return
        any_junit = any_html = False
        for job in jobs:
            for f in writes[job.name]["junit"]:
                any_junit = True
                if not any(self.matches(f, g) for g in self.junit_globs(job, jobs)):
                    self.bad(job.name, "JUnit %s is written but not published as a test report" % f)
            for f in writes[job.name]["html"]:
                any_html = True
                if not any(self.matches(f, g) for g in self.artifact_globs(job)):
                    self.bad(job.name, "HTML report %s is written but not uploaded as an artifact" % f)
        if not any_junit:
            self.bad("file", "no job writes a JUnit file")
        if not any_html:
            self.bad("file", "no job writes an HTML report")

    @staticmethod
    def matches(f, glob):
        return fnmatch.fnmatchcase(f, glob)

    def junit_globs(self, job, jobs):
        if job.engine == "gitlab":
            j = job.raw.get("artifacts", {}).get("reports", {}).get("junit", [])
            return [j] if isinstance(j, str) else j
        globs = []
        for other in [job] + [o for o in jobs if job.name in o.needs]:
            for i in range(1, other.count + 1):
                for s in other.raw.get("steps", []):
                    key = JUNIT_ACTIONS.get(s.get("uses", "").split("@")[0])
                    if key:
                        globs += [job.expand(g.strip(), i, "topic") for g in str(s["with"][key]).split(",")]
        return globs

    def artifact_globs(self, job):
        if job.engine == "gitlab":
            return job.raw.get("artifacts", {}).get("paths", [])
        globs = []
        for i in range(1, job.count + 1):
            for s in job.raw.get("steps", []):
                if s.get("uses", "").startswith("actions/upload-artifact@"):
                    globs += [job.expand(g.strip(), i, "topic") for g in s["with"]["path"].splitlines() if g.strip()]
        return globs

    def check_pins(self, jobs):
        for job in jobs:
            if job.engine != "github":
                continue
            for s in job.raw.get("steps", []):
                if "uses" in s and not PINNED_RE.match(s["uses"]):
                    self.bad(job.name, "action %s is not pinned to a version" % s["uses"])

    def check(self):
        jobs = load(self.path)
        writes = {job.name: self.check_job(job, jobs) for job in jobs}
        self.check_published(jobs, writes)
        self.check_pins(jobs)
        return self.found


def cmd_check(argv):
    binary = argv[argv.index("--bin") + 1]
    files = [a for k, a in enumerate(argv) if a != "--bin" and (k == 0 or argv[k - 1] != "--bin")]
    cli, found, n = Cli(binary), [], 0
    for f in files:
        c = Checker(cli, f)
        found += c.check()
        n += c.n
    found = list(dict.fromkeys(found))  # a job's copies find the same problem once
    for line in found:
        print(line)
    print("checked %d tlsharness command lines in %d files: %d problems" % (n, len(files), len(found)))
    return 1 if found else 0


def cmd_info(argv):
    for job in load(argv[0]):
        base = ""
        for _name, text, _env, _cond, _shell in job.steps:
            m = re.search(r"tlsharness compare(?: --(?:floor|threshold) \S+| --json)* (\S+)", text)
            if m:
                base = " BASE=" + m.group(1)
        print("%s %d%s" % (job.name, job.count, base))
    return 0


def cmd_script(argv):
    path, name = argv[0], argv[1]
    i = int(argv[argv.index("--index") + 1]) if "--index" in argv else 1
    ref = argv[argv.index("--ref") + 1] if "--ref" in argv else "topic"
    root = argv[argv.index("--root") + 1] if "--root" in argv else None
    job = [j for j in load(path) if j.name == name][0]
    out = ["#!/bin/bash", "# %s: job %s, copy %d of %d, on branch %s" % (path, name, i, job.count, ref)]
    for k, v in dict(job.env, **job.index_env(i, ref)).items():
        out.append("export %s=%s" % (k, shlex.quote(str(v))))
    for sname, text, env, cond, shell in job.steps:
        text = job.expand(text, i, ref)
        first = text.split(None, 1)[0] if text.split() else ""
        if first in SKIPPED_WORDS or (cond and cond not in ("always()", "success()")):
            continue
        for m in job.mounts:
            if root:
                text = re.sub(r"(?<![\w/])%s(?=[/\s]|$)" % re.escape(m), root.rstrip("/") + m, text)
        assign = " ".join("%s=%s" % (k, shlex.quote(job.expand(str(v), i, ref))) for k, v in env.items())
        out.append("echo %s" % shlex.quote("--- " + sname))
        out.append("%s%s || exit $?" % ("env " + assign + " " if assign else "",
                                        " ".join(shell + [shlex.quote(text)])))
    print("\n".join(out))
    return 0


def main(argv):
    cmds = {"check": cmd_check, "info": cmd_info, "script": cmd_script}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
