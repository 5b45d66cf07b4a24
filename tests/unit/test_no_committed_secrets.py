"""No key, token or password is committed, except the local defaults the repo marks as such.

Scans every file git tracks (and untracked files git does not ignore, so a secret is caught before its
first commit) for: AWS keys, Slack webhooks and tokens, GitHub tokens, private keys, JWTs, credentials
inside URLs, and password/secret/api-key/token assignments with a literal value. The only values
allowed are the public local defaults in :data:`LOCAL_DEFAULTS`, each for a stated reason; anything
else fails the test with file, line and what matched (the value itself is not printed).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from almanac.demo.embedded import PROJECT_ROOT

#: Values that may appear as a password/key: public, local-only defaults, marked where they are set.
LOCAL_DEFAULTS = {
    "admin": "make run / tests: the SimpleAuthManager login admin/admin (api-server on 127.0.0.1 only)",
    "airflow": "docker-compose.yaml: the compose stack's own metadata Postgres (local-only)",
    "almanac": "docker-compose.yaml / .env.example: the compose `warehouse` Postgres (local-only)",
    "demo-api-key": "the fake Discourse Data Explorer server's key (demo and tests only)",
    "change-me": ".env.example: placeholder for the Oracle password",
    "https://hooks.slack.com/services/T000/B000/XXXX": ".env.example: placeholder webhook",
}

_QUOTED_ASSIGNMENT = re.compile(
    r"""(?ix)
    ["']?[\w.-]*(?:password|passwd|secret|api[_-]?key|access[_-]?key|token)[\w.-]*["']?   # the key
    \s*[:=]\s*
    (?P<q>["'])(?P<value>[^"'\s]{3,})(?P=q)                                              # a literal
    """
)
#: Unquoted ``KEY=value`` / ``key: value`` lines, in config-like files only (in Python such a line is a
#: keyword argument such as ``password=connection.password``).
CONFIG_FILES = re.compile(r"(^|/)(\.env[\w.]*|[^/]*\.(ya?ml|cfg|ini|toml|conf|env|sh|properties)|Dockerfile|Makefile)$")
_ENV_ASSIGNMENT = re.compile(
    r"""(?imx)
    ^\s*(?:export\s+)?[\w.-]*(?:PASSWORD|PASSWD|SECRET|API_KEY|ACCESS_KEY|TOKEN)[\w.-]*
    \s*[:=]\s*(?P<value>[^\s#'"{$]{3,})\s*(?:\#.*)?$
    """
)
_PATTERNS = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "Slack webhook": re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:(?P<value>[^\s/@'\"]+)@"),
}
#: Dummy values that tests use on purpose (a wrong key, a URL password that must be redacted), allowed
#: under tests/ only.
TEST_DUMMIES = {
    "wrong": "tests/integration/test_discourse_client.py: a wrong Discourse key gets 403",
    "not-a-token": "tests/integration/test_status.py: an invalid Bearer token gets 403",
    "secret": "tests/unit: URL passwords that redaction must mask",
}
#: Values that are not secrets: references, placeholders of code, empty-ish.
_NOT_A_VALUE = re.compile(r"^(?:\*+|<[^>]*>|\.\.\.|none|null|true|false)$", re.I)
SKIP_SUFFIXES = (".png", ".jpg", ".gif", ".ico", ".sqlite", ".db")


def find_secrets(root: Path, files: list[str]) -> list[str]:
    """``path:line: kind`` for every suspected secret in ``files`` (relative to ``root``)."""
    findings = []
    for name in files:
        path = root / name
        if name.endswith(SKIP_SUFFIXES) or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        allowed = LOCAL_DEFAULTS.keys() | (TEST_DUMMIES.keys() if name.startswith("tests/") else set())
        config = bool(CONFIG_FILES.search(name))
        for number, line in enumerate(text.splitlines(), 1):
            for kind, value in _suspects(line, config=config):
                if value not in allowed and not _NOT_A_VALUE.match(value):
                    findings.append(f"{name}:{number}: {kind}")
    return findings


def _suspects(line: str, *, config: bool):
    for kind, pattern in _PATTERNS.items():
        for match in pattern.finditer(line):
            yield kind, match.groupdict().get("value") or match.group()
    for match in _QUOTED_ASSIGNMENT.finditer(line):
        yield "password/key/token assignment", match.group("value")
    if config:
        for match in _ENV_ASSIGNMENT.finditer(line):
            yield "password/key/token assignment", match.group("value")


def repo_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [name for name in out.decode().split("\0") if name]


def test_the_repository_holds_no_secret_but_the_marked_local_defaults():
    if not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    files = repo_files()
    assert len(files) > 50  # the scan really looked at the repository
    assert find_secrets(PROJECT_ROOT, files) == []


# The planted values are assembled at run time so this file itself holds none of them.
PLANTED = {
    "settings.py": 'DB_PASSWORD = "' + "hunter2" + "-prod" + '"\n',
    "deploy.env": "SLACK_TOKEN=" + "xoxb-" + "123456789012-abcdefghijkl" + "\n",
    "conn.txt": "postgresql://svc:" + "S3cret" + "@db.internal/prod\n",
    "aws.cfg": "key = " + "AKIA" + "ABCDEFGHIJKLMNOP" + "\n",
    "id_rsa": "-----BEGIN " + "RSA PRIVATE KEY-----\n",
    "hook.json": '{"url": "https://hooks.slack.com/services/' + "T1234/B5678/abcdefgh" + '"}\n',
    "config.yaml": "api_key: '" + "sk-live-" + "abcdef123456" + "'\n",
    "app.yaml": "db_password: " + "Tr0ub4dor" + "\n",
}


def test_the_scan_finds_planted_secrets_and_passes_the_local_defaults(tmp_path):
    for name, text in PLANTED.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "local.env").write_text(
        "_AIRFLOW_WWW_USER_PASSWORD=admin  # local-only\nPOSTGRES_PASSWORD: airflow\nexport TOKEN=${TOKEN}\n"
    )
    findings = find_secrets(tmp_path, [*PLANTED, "local.env"])
    assert sorted({f.split(":")[0] for f in findings}) == sorted(PLANTED)
