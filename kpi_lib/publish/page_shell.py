"""The HTML page around a rendered notebook: a real title, a contents list, readable and
printable CSS, and nothing fetched from the network.

nbconvert's `basic` template gives the cells without its page furniture (require.js and
MathJax from CDNs, JupyterLab's CSS); this module supplies a page a committee can open offline,
on a 1280 px screen or printed on A4. It also yields the page's *visible content* (text, alt
texts, image digests) that the manifest hashes, so an audit covers what the reader reads.
"""

from __future__ import annotations

import hashlib
import re

from bs4 import BeautifulSoup

DEFAULT_ALT = "No description has been provided for this image"

CSS = """
:root { --ink: #1b1b1b; --rule: #c8c8c8; --head: #eef1f4; --link: #1d4f91; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.5 "Segoe UI", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 1.5rem 2rem 3rem; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: .5rem 0; }
h2 { font-size: 1.35rem; margin: 2rem 0 .6rem; padding-top: .6rem;
  border-top: 2px solid var(--ink); }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
a { color: var(--link); }
.subtitle { color: #444; margin-top: 0; }
nav.contents { background: var(--head); padding: .6rem 1.2rem; margin: 1rem 0; }
nav.contents h2 { border: 0; margin: .2rem 0; padding: 0; font-size: 1.1rem; }
nav.contents ol { margin: .3rem 0; }
table.kpi-table { border-collapse: collapse; width: 100%; margin: .4rem 0 1.4rem;
  font-size: .9rem; table-layout: auto; }
table.kpi-table caption { text-align: left; font-weight: 600; padding: .2rem 0; }
table.kpi-table th, table.kpi-table td { border-bottom: 1px solid var(--rule);
  padding: .35rem .45rem; text-align: left; vertical-align: top; overflow-wrap: break-word; }
table.kpi-table th { background: var(--head); font-weight: 600; }
table.kpi-table .num { text-align: right; }
table.kpi-table .path { overflow-wrap: anywhere; }
table.kpi-table .nowrap { white-space: nowrap; }
@media screen { table.kpi-table .wide { min-width: 12em; } }
/* a table wider than the screen scrolls inside its box, its first column (the KPI) fixed */
.table-box { max-width: 100%; overflow-x: auto; margin: .4rem 0 1.4rem; }
.table-box table.kpi-table { margin: 0; }
@media screen {
  .table-box table.kpi-table tr > :first-child { position: sticky; left: 0; z-index: 1;
    background: #fff; box-shadow: inset -1px 0 0 var(--rule); }
  .table-box table.kpi-table thead tr > :first-child { background: var(--head); }
}
.table-box:focus-visible { outline: 2px solid var(--link); outline-offset: 2px; }
p, li, figcaption, td, th { overflow-wrap: break-word; }
/* charts one per row on a phone, two side by side where there is room */
.charts { display: grid; gap: .8rem 1.2rem;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 440px), 1fr)); }
.charts figure.chart { margin: 0; }
@media screen and (max-width: 640px) {
  main { padding: 1rem .8rem 2rem; }
  h1 { font-size: 1.35rem; }
  h2 { font-size: 1.2rem; }
  table.kpi-table { font-size: .82rem; }
  table.kpi-table .wide { min-width: 10em; }
  .table-box table.kpi-table tr > :first-child { min-width: 8.5em; max-width: 45vw; }
}
/* a phone: a wide table (present.Table.cards) is one card per row, its first cell (the KPI)
   the card's heading and each other cell on a line of its own after its column's header
   (data-label). The header row is hidden from sight, not from screen readers, and the cells
   keep their table roles; an empty cell is hidden the same way so none moves column. */
@media screen and (max-width: 600px) {
  .table-box.cards { overflow-x: visible; }
  table.kpi-table.cards, table.cards > tbody, table.cards > tbody > tr,
  table.cards > tbody > tr > td, table.cards > caption { display: block; width: auto; }
  table.cards > thead, table.cards > thead > tr { display: block; }
  table.cards > thead, table.cards > thead th, table.kpi-table.cards td:empty {
    position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
    clip-path: inset(50%); white-space: nowrap; border: 0; }
  table.cards > tbody > tr { border: 1px solid var(--rule); border-radius: 4px;
    margin: 0 0 .7rem; padding-bottom: .35rem; }
  table.kpi-table.cards td { border: 0; padding: .15rem .6rem; text-align: left;
    min-width: 0; white-space: normal; }
  table.kpi-table.cards td::before { content: attr(data-label) ": ";
    content: attr(data-label) ": " / ""; font-weight: 600; }
  .table-box table.kpi-table.cards tr > td:first-child { position: static; min-width: 0;
    max-width: none; box-shadow: none; background: var(--head); font-weight: 600;
    font-size: .95rem; padding: .4rem .6rem; margin-bottom: .25rem; }
  table.kpi-table.cards td:first-child::before { content: none; }
  /* a row with nothing besides its heading (a period with no status) is one line */
  table.cards > tbody > tr:not(:has(> td + td:not(:empty))) { padding-bottom: 0; }
  .table-box table.kpi-table.cards tr:not(:has(> td + td:not(:empty))) > td:first-child {
    margin-bottom: 0; }
}
.rag { white-space: nowrap; }
.rag::before { content: ""; display: inline-block; width: .75em; height: .75em;
  border-radius: 50%; margin-right: .35em; vertical-align: -.05em;
  border: 1px solid #555; }
.rag-green::before { background: #2e7d32; } .rag-amber::before { background: #f9a825; }
.rag-red::before { background: #c62828; } .rag-unrated::before { background: #9e9e9e; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem 1.4rem; }
figure.chart { margin: 1rem 0; }
figure.chart img, img { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #444; }
pre { white-space: pre-wrap; overflow-wrap: break-word; font-size: .85rem; }
.empty { color: #444; font-style: italic; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  html, body { font-size: 9.5pt; }
  table.kpi-table .nowrap { white-space: normal; }
  main { max-width: none; padding: 0; }
  .table-box { overflow: visible; }
  .charts { grid-template-columns: 1fr 1fr; }
  nav.contents { background: none; border: 1px solid var(--rule); }
  h2, h3 { break-after: avoid; }
  tr, figure, img { break-inside: avoid; }
  thead { display: table-header-group; }
  .charts figure.chart { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def wrap(body: str, fallback_title: str = "KPI report") -> str:
    """A complete page around nbconvert's `basic` body: title and contents from the headings,
    alt texts checked, anchor pilcrows and empty outputs removed."""
    soup = BeautifulSoup(body, "html.parser")
    for a in soup.select("a.anchor-link"):
        a.decompose()
    for img in soup.find_all("img"):
        if not img.get("alt") or img.get("alt") == DEFAULT_ALT:
            img["alt"] = "chart (no description given by the notebook)"
    h1 = soup.find("h1")
    title = h1.get_text(" ", strip=True) if h1 else fallback_title
    heads = [h for h in soup.find_all("h2") if h.get("id")]
    if h1 is not None and len(heads) >= 2:
        nav = soup.new_tag("nav", attrs={"class": "contents", "aria-label": "Contents"})
        nav_h = soup.new_tag("h2", attrs={"id": "contents"})
        nav_h.string = "Contents"
        ol = soup.new_tag("ol")
        for h in heads:
            li = soup.new_tag("li")
            a = soup.new_tag("a", href=f"#{h['id']}")
            a.string = h.get_text(" ", strip=True)
            li.append(a)
            ol.append(li)
        nav.append(nav_h)
        nav.append(ol)
        anchor = h1.find_next_sibling("p", class_="subtitle") or h1
        anchor.insert_after(nav)
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_escape(title)}</title>\n<style>{CSS}{print_boxes(title)}</style>\n</head>\n"
        f"<body>\n<main>\n{soup.decode(formatter='html5')}\n</main>\n</body>\n</html>\n"
    )


def print_boxes(title: str) -> str:
    """The printed page's margins: the title at the top of every page and "Page n of N" at
    the foot (CSS page-margin boxes, which Chromium prints; `publish.pdf`)."""
    quoted = "".join(c if c.isalnum() or c in " ,.:;-/()&'" else f"\\{ord(c):x} " for c in title)
    box = "font: 8pt Arial, 'Liberation Sans', sans-serif; color: #444;"
    return (
        f'\n@page {{ @top-center {{ content: "{quoted}"; {box} }}\n'
        f'  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); {box} }} }}\n'
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- what the reader reads, for the manifest ---------------------------------------------------
# Volatile parts of a rendered notebook that change between identical runs.
_VOLATILE = [
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),  # kernel ids
    re.compile(r"/tmp/[\w./-]*kpi-audit-\w+[\w./-]*"),  # an audit's scratch folder
    re.compile(r"\.staging-[\w.-]+-\d+"),  # a run's staging folder
    re.compile(r"\b[0-9a-f]{40}\b(?: \(dirty\))?"),  # the commit an audit runs at may be later
]


def visible_lines(page: str) -> list[str]:
    """The page as read: visible text lines (scripts, styles and the head dropped), each
    image as its alt text and a digest of its pixels, volatile parts removed."""
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup(["script", "style", "head", "template"]):
        tag.decompose()
    for img in soup.find_all("img"):
        digest = hashlib.sha256(str(img.get("src", "")).encode()).hexdigest()[:16]
        img.replace_with(f"\n[image {digest}: {img.get('alt', '')}]\n")
    text = soup.get_text("\n")
    lines = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        for pat in _VOLATILE:
            line = pat.sub("…", line)
        if line:
            lines.append(line)
    return lines


def page_title(page: str) -> str:
    soup = BeautifulSoup(page, "html.parser")
    return soup.title.get_text(strip=True) if soup.title else ""


def content_hash(page: str) -> str:
    return hashlib.sha256("\n".join(visible_lines(page)).encode("utf-8")).hexdigest()


def first_difference(published: str, rerun: str) -> str:
    """The first visible line that differs, as 'published … / re-run …'."""
    a, b = visible_lines(published), visible_lines(rerun)
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            j = next((k for k, (u, v) in enumerate(zip(x, y, strict=False)) if u != v), 0)
            return f"line {i + 1}: published {_clip(x, j)!r}, re-run {_clip(y, j)!r}"
    if len(a) != len(b):
        i = min(len(a), len(b))
        extra = a[i] if len(a) > len(b) else b[i]
        side = "published" if len(a) > len(b) else "re-run"
        return f"line {i + 1}: only the {side} page has {_clip(extra)!r}"
    return ""


def _clip(s: str, at: int = 0, before: int = 40, after: int = 60) -> str:
    """The text around position `at` (where two lines start to differ)."""
    lo, hi = max(0, at - before), at + after
    return ("…" if lo else "") + s[lo:hi] + ("…" if hi < len(s) else "")
