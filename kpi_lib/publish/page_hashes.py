"""What the reader reads, audited: each published page's visible content is hashed into the
manifest (`page.content_hash`, volatile parts removed), and an audit compares the published
page and a fresh re-render with it, naming the file and where the first differing text is as
a reader finds it: its section, its KPI (the statement or table row) and its column."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag

from kpi_lib.publish.page_shell import _VOLATILE, content_hash, first_difference


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
            where = locate(pub_text, _read(new)) if new.is_file() else ""
            out.append(f"{name}: published page edited since the run" + _at(where))
        elif name not in fresh:
            out.append(f"{name}: the re-run did not render this page")
        elif fresh[name] != recorded[name]:
            out.append(
                f"{name}: re-run page differs from the published one"
                + _at(locate(pub_text, _read(new)))
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


def locate(published: str, rerun: str) -> str:
    """Where the two pages first differ, as a reader would find it: "section 'Off track',
    KPI <id>, column 'Latest': published '86.7%', re-run '56.7%'". Falls back to the line
    of visible text when the difference is outside any section."""
    a, b = _texts(published), _texts(rerun)
    for (x, place), (y, _) in zip(a, b, strict=False):
        if x != y:
            return f"{place}: published {x[:80]!r}, re-run {y[:80]!r}" if place else ""
    if len(a) != len(b):
        i = min(len(a), len(b))
        text, place = a[i] if len(a) > len(b) else b[i]
        side = "published" if len(a) > len(b) else "re-run"
        return f"{place or 'at the end'}: only the {side} page has {text[:80]!r}"
    return first_difference(published, rerun)


def _texts(page: str) -> list[tuple[str, str]]:
    """Each visible text of the page (volatile parts removed) with its place in words."""
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup(["script", "style", "head", "template"]):
        tag.decompose()
    out = []
    for node in soup.find_all(string=True):
        text = " ".join(str(node).split())
        for pat in _VOLATILE:
            text = pat.sub("…", text)
        if text and isinstance(node, NavigableString):
            out.append((text, _place(node)))
    return out


def _place(node: NavigableString) -> str:
    parts = []
    heading = node.find_previous(["h1", "h2", "h3"])
    if heading is not None:
        parts.append(f"section {heading.get_text(' ', strip=True)[:60]!r}")
    said = node.find_parent(attrs={"data-statement": True})
    if isinstance(said, Tag):
        family, _, rest = str(said["data-statement"]).partition(":")
        kpi = rest.partition(":")[0]
        parts.append(f"KPI {kpi}" if kpi and kpi != "-" else f"the {family} statement")
    cell = node.find_parent(["td", "th"])
    row = cell.find_parent("tr") if isinstance(cell, Tag) else None
    if isinstance(cell, Tag) and isinstance(row, Tag):
        cells = row.find_all(["td", "th"], recursive=False)
        col = cells.index(cell) if cell in cells else -1
        if not isinstance(said, Tag) and cells and col > 0:
            parts.append(f"row {cells[0].get_text(' ', strip=True)[:60]!r}")
        table = row.find_parent("table")
        head = table.find("tr") if isinstance(table, Tag) else None
        names = head.find_all(["th", "td"], recursive=False) if isinstance(head, Tag) else []
        if head is not row and 0 <= col < len(names):
            parts.append(f"column {names[col].get_text(' ', strip=True)[:40]!r}")
    return ", ".join(parts)
