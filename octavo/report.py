"""The build report: findings, a short terminal summary and dist/report.json."""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path


ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class Finding:
    code: str  # stable, e.g. "MS-004"
    severity: str  # error | warning | info
    message: str  # what is wrong, in words a person can act on
    where: str = ""  # manuscript file:line, or output file and page ("x.pdf p. 7")

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        place = f"{self.where}: " if self.where else ""
        return f"{place}{self.code} {self.severity}: {self.message}"


def counts(findings: list[Finding]) -> dict[str, int]:
    return {severity: sum(1 for f in findings if f.severity == severity)
            for severity in SEVERITIES}


TOP = 8  # findings shown in the terminal summary


def _sort_key(finding: Finding):
    """Errors first, then by code, then by place: file, then line or page as a number."""
    place = [int(part) if part.isdigit() else part
             for part in re.split(r"(\d+)", finding.where)]
    return ({"error": 0, "warning": 1}.get(finding.severity, 2), finding.code,
            [(0, p) if isinstance(p, int) else (1, p) for p in place])


def summary(findings: list[Finding]) -> str:
    tally = counts(findings)
    lines = [f"Checks: {tally['error']} errors, {tally['warning']} warnings, "
             f"{tally['info']} notes"]
    shown = sorted(findings, key=_sort_key)[:TOP]
    lines += [f"  {f.line()}" for f in shown]
    if len(findings) > TOP:
        lines.append(f"  … and {len(findings) - TOP} more in report.json")
    return "\n".join(lines)


def write_report(target: Path, findings: list[Finding], facts: dict) -> None:
    """report.json, written atomically (temporary file, then rename)."""
    document = {"counts": counts(findings), **facts,
                "findings": [f.as_dict() for f in sorted(findings, key=_sort_key)]}
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    os.replace(temporary, target)


# Notes that a release must not pass over: warnings in a --release build (docs/checks.md).
RELEASE_WARNINGS = ("AUTO-003",)  # an identifier derived from the title, not pinned


def for_release(findings: list[Finding], release: bool) -> list[Finding]:
    """`findings`, with RELEASE_WARNINGS raised to warnings in a release build."""
    if not release:
        return list(findings)
    return [Finding(f.code, WARNING, f.message, f.where)
            if f.code in RELEASE_WARNINGS and f.severity == INFO else f for f in findings]


def failed(findings: list[Finding], release: bool) -> bool:
    """Errors fail a build; in a release build, warnings do too."""
    severities = {ERROR, WARNING} if release else {ERROR}
    return any(f.severity in severities for f in findings)
