"""What the reader reads, audited: each published page's visible content is hashed into the
manifest (`page.content_hash`, volatile parts removed), and an audit compares the published
page and a fresh re-render with it, naming the file and the first differing text."""

from __future__ import annotations

from pathlib import Path

from kpi_lib.report.page import content_hash, first_difference


def page_hashes(out_dir: Path) -> dict[str, str]:
    """Content hash of every HTML page of a run folder, by file name."""
    folder = Path(out_dir)
    return {p.name: content_hash(_read(p)) for p in sorted(folder.glob("*.html"))}


def compare_pages(published_dir: Path, rerun_dir: Path, recorded: dict[str, str]) -> list[str]:
    """One line per page that fails: edited since publication (the published page no longer
    has the recorded content) or not reproduced (the re-render differs), with where."""
    out: list[str] = []
    fresh = page_hashes(rerun_dir)
    for name in sorted(recorded.keys() | fresh.keys()):
        pub, new = Path(published_dir) / name, Path(rerun_dir) / name
        if name not in recorded:
            out.append(f"{name}: re-run renders a page the manifest does not list")
            continue
        if not pub.is_file():
            out.append(f"{name}: missing from the published output")
            continue
        pub_text = _read(pub)
        if content_hash(pub_text) != recorded[name]:
            where = first_difference(pub_text, _read(new)) if new.is_file() else ""
            out.append(f"{name}: published page edited since the run" + _at(where))
        elif name not in fresh:
            out.append(f"{name}: the re-run did not render this page")
        elif fresh[name] != recorded[name]:
            out.append(
                f"{name}: re-run page differs from the published one"
                + _at(first_difference(pub_text, _read(new)))
            )
    return out


def edited_pages(published_dir: Path, recorded: dict[str, str]) -> list[str]:
    """Published pages whose visible content no longer matches the manifest (no re-run)."""
    out = []
    for name, digest in sorted(recorded.items()):
        pub = Path(published_dir) / name
        if not pub.is_file():
            out.append(f"{name}: missing from the published output")
        elif content_hash(_read(pub)) != digest:
            out.append(f"{name}: published page edited since the run")
    return out


def _at(where: str) -> str:
    return f" ({where})" if where else ""


def _read(p: Path) -> str:
    return p.read_text(encoding="utf-8", errors="replace")
