"""Every report kind opened in headless Chromium as a reader would: the title, no NaN/None/<NA>
or literal "\\n" in visible text, no bare index column, nothing wider than a 1280 px screen or
an A4 page, no sideways page scroll on a 390 px phone (a wide table is one card per row, a
narrow one scrolls in its own box with the KPI column fixed, charts one per row), real alt
texts, no request to the network, and no serious or critical axe-core finding. `make test`
installs Chromium and axe-core first (`make browser`); when they are missing these tests fail
with what to run, they are never skipped."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from common import DEEP_KPI, ROOT

from kpi_lib.report.present import CARD_MIN_COLUMNS

pytestmark = pytest.mark.xdist_group("notebooks")  # shares the session's notebook runs

AXE = ROOT / "tests" / ".browser" / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "outputs" / "screenshots"  # gitignored; looked at by people, not asserted
WIDTH, A4_WIDTH = 1280, 794  # px: a common laptop screen; A4 at 96 dpi
PHONE = 390  # px: a common phone's CSS width

PAGES = {
    "quarterly": (
        "outputs/2022-23_Q2/02_quarterly_report.html",
        r"^Lancashire County Council: Corporate Performance Report 2022/23 Q2, "
        r"data to \d+ \w+ \d{4}$",
    ),
    "headline-only": (
        "outputs/2024-25_Q2/02_quarterly_report.html",
        r"^Lancashire County Council: Corporate Performance Report 2024/25 Q2, "
        r"data to \d+ \w+ \d{4}$",
    ),
    "ingest-qa": (
        "outputs/2022-23_Q2/01_ingest_quarter.html",
        r"^Extraction QA: 2022/23 Q2 \(1 source file\)$",
    ),
    "deep-dive": (
        f"outputs/kpi/{DEEP_KPI}/03_kpi_deep_dive.html",
        r"^KPI deep dive: Permanent admissions .* data to \d+ \w+ \d{4}$",
    ),
    "audit": ("outputs/audit/2022-23_Q2/04_audit.html", r"^Audit passed: quarterly run "),
    "index": (
        "outputs/index.html",
        r"^Lancashire County Council: KPI index, \d+ KPIs, reports 2019/20 Q3 to 2024/25 Q2$",
    ),
}
BAD_TEXT = re.compile(r"\bNaN\b|\bnan\b|\bNone\b|<NA>|\\n|NaT\b")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no chromium on PATH: run `make browser` (installs Debian's chromium as root)")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run `make setup`")
    if not AXE.is_file():
        pytest.fail(f"axe-core missing ({AXE.relative_to(ROOT)}): run `make browser`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium(), args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module", params=sorted(PAGES))
def opened(request: pytest.FixtureRequest, browser, published: Path) -> Iterator[tuple]:
    """One page, loaded offline with every network request refused and recorded."""
    kind = request.param
    rel, title = PAGES[kind]
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    requested: list[str] = []

    def route(r) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            requested.append(url)
            r.abort()

    page.route("**/*", route)
    page.goto((published / rel).as_uri(), wait_until="load")
    yield kind, page, title, requested
    page.close()


def test_title_names_what_the_reader_is_looking_at(opened) -> None:
    kind, page, title, _ = opened
    assert re.search(title, page.title()), (kind, page.title())
    h1 = page.locator("h1").first.inner_text()
    assert h1.strip() == page.title().strip()


# the council's own words, quoted as printed ("None are 'inadequate'"): not our markers
QUOTED = '[data-statement^="commentary:"], [data-statement^="directors:"]'


def test_visible_text_has_no_missing_value_markers(opened) -> None:
    kind, page, _, _ = opened
    text = page.evaluate(
        """(quoted) => {
            const body = document.body.cloneNode(true);
            body.querySelectorAll(quoted).forEach((e) => e.remove());
            document.documentElement.appendChild(body);
            const text = body.innerText;
            body.remove();
            return text;
        }""",
        QUOTED,
    )
    bad = sorted({m.group(0) for m in BAD_TEXT.finditer(text)})
    assert not bad, f"{kind}: {bad}"
    assert "No description has been provided" not in page.content()
    # nothing a kernel printed on stderr (warnings, tracebacks) reaches the reader
    stray = [w for w in ("Warning:", "Traceback", "site-packages") if w in text]
    assert not stray, f"{kind}: {stray}"


def test_no_bare_index_column(opened) -> None:
    kind, page, _, _ = opened
    found = page.evaluate(
        """() => [...document.querySelectorAll('table')].filter(t => {
            const heads = [...t.querySelectorAll('thead th')].map(th => th.innerText.trim());
            if (heads.some(h => h === '')) return true;
            const first = [...t.querySelectorAll('tbody tr')].map(
                tr => (tr.querySelector('th,td') || {innerText: ''}).innerText.trim());
            return first.length > 1 && first.every((v, i) => v === String(i));
        }).length"""
    )
    assert found == 0, kind


def test_fits_the_screen_and_an_a4_page(opened) -> None:
    kind, page, _, _ = opened
    widest = """() => Math.max(document.documentElement.scrollWidth,
        ...[...document.querySelectorAll('body *')].map(e => e.getBoundingClientRect().right))"""
    assert page.evaluate(widest) <= WIDTH + 1, kind
    page.set_viewport_size({"width": A4_WIDTH, "height": 1123})
    page.emulate_media(media="print")
    try:
        assert page.evaluate(widest) <= A4_WIDTH + 1, f"{kind}: wider than A4 in print"
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": WIDTH, "height": 900})


# Every element that reaches past the phone's edge, unless a box that scrolls sideways holds
# it and itself fits; and every table that scrolls, whether its first column stays put.
PHONE_OVERFLOW = """(width) => {
    const out = [];
    const scrolls = (e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
    for (const e of document.querySelectorAll('body *')) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.right <= width + 1) continue;
        let box = e.parentElement;
        while (box && !scrolls(box)) box = box.parentElement;
        if (!box || box.getBoundingClientRect().right > width + 1)
            out.push(e.tagName + '.' + e.className + ': ' + (e.innerText || '').slice(0, 60));
    }
    const loose = [...document.querySelectorAll('.table-box')]
        .filter(b => b.scrollWidth > b.clientWidth + 1)
        .filter(b => [...b.querySelectorAll('tr > :first-child')]
            .some(c => getComputedStyle(c).position !== 'sticky'))
        .map(b => b.getAttribute('aria-label'));
    return {page: document.documentElement.scrollWidth, out: out.slice(0, 5), loose};
}"""
# Each chart as a phone shows it: its width, how much it is shrunk, and its row.
PHONE_CHARTS = """() => {
    const main = document.querySelector('main');
    const cs = getComputedStyle(main);
    const room = main.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    return [...document.images].map(i => {
        const r = i.getBoundingClientRect();
        return {alt: i.alt.slice(0, 50), width: r.width, room, top: Math.round(r.top),
                scale: r.width / (Number(i.getAttribute('width')) || i.naturalWidth)};
    });
}"""


def test_fits_a_phone(opened) -> None:
    """At 390 px the page never scrolls sideways (a wide table scrolls in its own box, its KPI
    column fixed) and charts are one per row, each the width of the text and shrunk at most
    by half (a 2x2 grid drawn as one image would be a thumbnail)."""
    kind, page, _, _ = opened
    page.set_viewport_size({"width": PHONE, "height": 844})
    try:
        found = page.evaluate(PHONE_OVERFLOW, PHONE)
        assert found["page"] <= PHONE, f"{kind}: the page scrolls sideways ({found['page']} px)"
        assert not found["out"], f"{kind}: wider than a phone: {found['out']}"
        assert not found["loose"], f"{kind}: tables whose KPI column scrolls away: {found['loose']}"
        charts = page.evaluate(PHONE_CHARTS)
        tops = [c["top"] for c in charts]
        assert len(tops) == len(set(tops)), f"{kind}: charts side by side on a phone"
        for c in charts:
            assert c["width"] >= 0.9 * c["room"], (kind, c)
            assert c["scale"] >= 0.5, f"{kind}: chart shrunk to a thumbnail: {c}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{kind}-phone.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": WIDTH, "height": 900})


# Every result table (present.Table) as the screen shows it: whether it is a card table, its
# column headers, how it is displayed, and per row its box and each cell's text, label
# (data-label and the label drawn before it) and box.
TABLES = """() => [...document.querySelectorAll('.table-box > table.kpi-table')].map(t => {
    const box = (e) => { const r = e.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}; };
    return {
        cards: t.classList.contains('cards'),
        heads: [...t.tHead.rows[0].cells].map(th => th.innerText.trim()),
        display: getComputedStyle(t).display,
        thead: t.tHead.getBoundingClientRect().height,
        rows: [...t.tBodies[0].rows].map(tr => ({...box(tr), cells: [...tr.cells].map(td => ({
            ...box(td), text: td.innerText.trim(), label: td.dataset.label || '',
            before: getComputedStyle(td, '::before').content}))})),
    };
})"""


def _card_faults(table: dict, width: int) -> list[str]:
    """What is wrong with a card table on a phone: a card wider than the screen, a card
    without its heading (the first cell: the KPI) at its top, a shown cell without its
    column's header before it or beside another, an empty cell left showing."""
    heads, faults = table["heads"], []
    if table["display"] != "block" or table["thead"] > 1:
        return [f"{heads[0]}: still a table at {width} px ({table['display']})"]
    for row in table["rows"]:
        first, rest = row["cells"][0], row["cells"][1:]
        name = first["text"][:40]
        if row["left"] < -1 or row["right"] > width + 1:
            faults.append(f"{name}: card {row['left']:.0f}..{row['right']:.0f} px")
        if not first["text"] or first["width"] < 1 or abs(first["top"] - row["top"]) > 2:
            faults.append(f"{name}: no heading at the card's top")
        if first["before"] not in ("none", "normal"):
            faults.append(f"{name}: the heading is labelled {first['before']}")
        above = first["bottom"]
        for head, cell in zip(heads[1:], rest, strict=True):
            if not cell["text"]:
                if cell["width"] > 1:
                    faults.append(f"{name}: empty {head!r} shown")
                continue
            if cell["label"] != head or not cell["before"].startswith(f'"{head}: "'):
                faults.append(f"{name}: {head!r} labelled {cell['label']!r} {cell['before']}")
            if (
                cell["top"] < above - 1
                or cell["left"] < row["left"]
                or cell["right"] > row["right"] + 1
            ):
                faults.append(f"{name}: {head!r} not on a line of its own in the card")
            above = cell["bottom"]
    return faults


# Chromium's accessibility tree of each card table: what a screen reader is given (nodes
# hidden from it, as display: none hides them, are in the tree marked "ignored").
def _table_roles(page, index: int) -> dict[str, int]:
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("Accessibility.enable")
        found = cdp.send(
            "Runtime.evaluate",
            {"expression": f"document.querySelectorAll('.table-box > table.cards')[{index}]"},
        )
        oid = found["result"]["objectId"]

        def count(role: str) -> int:
            nodes = cdp.send("Accessibility.queryAXTree", {"objectId": oid, "role": role})["nodes"]
            return sum(not n.get("ignored") for n in nodes)

        return {role: count(role) for role in ("table", "row", "columnheader", "cell")}
    finally:
        cdp.detach()


def test_wide_tables_are_cards_on_a_phone(opened) -> None:
    """At 390 px every table of CARD_MIN_COLUMNS columns or more is one card per row: no card
    wider than the screen, the KPI (first cell) as its heading, each other cell that has a value
    on a line of its own after its column's header; and a screen reader still gets a table,
    its header row and every cell."""
    kind, page, _, _ = opened
    page.set_viewport_size({"width": PHONE, "height": 844})
    try:
        tables = page.evaluate(TABLES)
        # the index's own table (sortable, filterable) scrolls in its box, its KPI column fixed
        wide = [t for t in tables if len(t["heads"]) >= CARD_MIN_COLUMNS and kind != "index"]
        assert all(t["cards"] for t in wide), [t["heads"][:3] for t in wide if not t["cards"]]
        cards = [t for t in tables if t["cards"]]
        faults = [f for t in cards for f in _card_faults(t, PHONE)]
        assert not faults, f"{kind}: {faults[:5]}"
        for i, t in enumerate(cards):
            rows, cols = len(t["rows"]), len(t["heads"])
            roles = _table_roles(page, i)
            assert roles == {
                "table": 1,
                "row": rows + 1,
                "columnheader": cols,
                "cell": rows * cols,
            }, (
                kind,
                t["heads"][0],
                roles,
            )
    finally:
        page.set_viewport_size({"width": WIDTH, "height": 900})


def test_card_tables_stay_tables_on_a_screen_and_on_paper(opened) -> None:
    """The cards are a phone's: at 1280 px and printed on A4 the same tables are tables with
    their header row."""
    kind, page, _, _ = opened
    for media, width in (("screen", WIDTH), ("print", A4_WIDTH)):
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(media=media)
        try:
            shown = [(t["display"], t["thead"] > 1) for t in page.evaluate(TABLES) if t["cards"]]
        finally:
            page.emulate_media(media="screen")
            page.set_viewport_size({"width": WIDTH, "height": 900})
        assert all(s == ("table", True) for s in shown), (kind, media, shown)


def test_every_image_says_what_it_shows(opened) -> None:
    kind, page, _, _ = opened
    alts = page.evaluate("() => [...document.images].map(i => i.getAttribute('alt') || '')")
    for alt in alts:
        assert len(alt) > 40 and "No description" not in alt, (kind, alt)


def test_opens_offline_without_any_request(opened) -> None:
    kind, _, _, requested = opened
    assert requested == [], kind


def test_no_serious_or_critical_accessibility_finding(opened) -> None:
    kind, page, _, _ = opened
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{kind}: {serious}"


def test_screenshot_of_each_report_kind(opened) -> None:
    kind, page, _, _ = opened
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{kind}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


# --- the paper as PDF ------------------------------------------------------------------------
PAPERS = {
    "quarterly": ("outputs/2022-23_Q2", "02_quarterly_report"),
    "deep-dive": (f"outputs/kpi/{DEEP_KPI}", "03_kpi_deep_dive"),
}


def _words(text: str) -> str:
    return " ".join(text.split())


def _in_order(words: list[str], page: list[str]) -> bool:
    """Whether `words` occur in `page` in this order (other words between them)."""
    it = iter(page)
    return all(w in it for w in words)


@pytest.mark.parametrize("kind", sorted(PAPERS))
def test_the_paper_as_a_pdf(published: Path, kind: str) -> None:
    """A4, the page's title at the top of every page and "Page n of N" at its foot, every table
    row whole on one page, and the manifest's hash of the very file."""
    import json

    import pdfplumber
    from bs4 import BeautifulSoup

    from kpi_lib.digest import sha256_file

    folder, stem = PAPERS[kind]
    out = published / folder
    page = (out / f"{stem}.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    title = _words(soup.title.get_text())
    with pdfplumber.open(out / f"{stem}.pdf") as pdf:
        texts = [pg.extract_text() or "" for pg in pdf.pages]
        sizes = {(round(pg.width), round(pg.height)) for pg in pdf.pages}
    assert sizes == {(595, 842)}, sizes  # A4 in points
    n = len(texts)
    assert n >= 2
    for i, text in enumerate(texts, start=1):
        lines = [ln for ln in text.splitlines() if ln.strip()]
        # a long title wraps in the page's top margin: its first one to three lines
        assert title in {_words(" ".join(lines[:k])) for k in (1, 2, 3)}, (i, lines[:2])
        assert _words(lines[-1]) == f"Page {i} of {n}", (i, lines[-1])
    # a row split across pages has its first cell's words on two pages: on none of them all
    # in order (a wrapped cell's lines interleave with the other cells', so not contiguous)
    pages = [t.split() for t in texts]
    rows = [
        tr.find(["td", "th"]).get_text(" ").split()
        for tr in soup.select("table.kpi-table tbody tr")
    ]
    split = [r for r in rows if len(r) > 3 and not any(_in_order(r, w) for w in pages)]
    assert len(rows) > 10 and not split, split[:3]
    results = json.loads((out / "manifest.json").read_text())["results"]["documents"]
    assert results[f"{stem}.pdf"] == sha256_file(out / f"{stem}.pdf")


def test_the_same_page_prints_to_the_same_bytes(published: Path, tmp_path: Path) -> None:
    from kpi_lib.publish.pdf import FIXED_DATE, print_page

    folder, stem = PAPERS["deep-dive"]
    html = published / folder / f"{stem}.html"
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert print_page(html, a) == "" and print_page(html, b) == ""
    assert a.read_bytes() == b.read_bytes()
    assert FIXED_DATE in a.read_bytes()


def test_without_chromium_the_run_says_why_in_one_line(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Chromium: the workbook is still written, no PDF (not even a partial one), and one
    line says why (what `kpi report` prints)."""
    from kpi_lib.publish.plan import DEEP_DIVE_NB, documents

    monkeypatch.setenv("KPI_ROOT", str(published))
    monkeypatch.setenv("KPI_CHROMIUM", "")
    folder, stem = PAPERS["deep-dive"]
    copy = tmp_path / "run"
    shutil.copytree(published / folder, copy)
    (copy / f"{stem}.pdf").unlink()
    (copy / f"{stem}.xlsx").unlink()
    notes = documents("deep-dive", {DEEP_DIVE_NB: {"kpi_id": DEEP_KPI}}, copy)
    assert len(notes) == 1 and "\n" not in notes[0]
    assert notes[0].startswith(f"{stem}.pdf not written: no Chromium found")
    assert not list(copy.glob("*.pdf")) and not list(copy.glob(".*tmp"))
    assert (copy / f"{stem}.xlsx").is_file()


# --- the KPI index ---------------------------------------------------------------------------
def test_the_index_sorts_filters_and_links(browser, published: Path) -> None:
    """Every KPI once, with a sparkline where it has two comparable figures or more; sorting
    by a column orders the rows (blanks last), filtering by priority and status hides the
    others, and every link leads to a file that exists (the session's papers and deep dive)."""
    from kpi_lib.store.snapshot import Store

    index = published / "outputs" / "index.html"
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.goto(index.as_uri(), wait_until="load")
    try:
        rows = lambda: page.evaluate(  # noqa: E731
            """() => [...document.querySelectorAll('#kpis tbody tr')].filter(r => !r.hidden)
                .map(r => ({id: r.id, priority: r.dataset.priority, status: r.dataset.status,
                            latest: r.children[2].dataset.sort, points: r.children[6].dataset.sort,
                            spark: !!r.querySelector('svg.spark')}))"""
        )
        every = rows()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("KPI_ROOT", str(published))
            ids = set(Store.load().observations["kpi_id"])
        assert sorted(r["id"] for r in every) == sorted(f"kpi-{k}" for k in ids)
        assert all(r["spark"] == (int(r["points"]) >= 2) for r in every)
        page.get_by_role("button", name="Latest figure").click()
        values = [float(r["latest"]) for r in rows() if r["latest"]]
        assert values == sorted(values) and len(values) > 20
        assert rows()[-1]["latest"] == "" or all(r["latest"] for r in rows())
        page.get_by_role("button", name="Latest figure").click()
        values = [float(r["latest"]) for r in rows() if r["latest"]]
        assert values == sorted(values, reverse=True)
        page.select_option("#status", "Red")
        red = rows()
        assert red and all(r["status"] == "Red" for r in red)
        assert len(red) == sum(r["status"] == "Red" for r in every)
        priority = red[0]["priority"]
        page.select_option("#priority", priority)
        both = rows()
        assert both and all(r["priority"] == priority and r["status"] == "Red" for r in both)
        assert page.inner_text("#shown") == f"{len(both)} KPI{'' if len(both) == 1 else 's'} shown"
        hrefs = page.evaluate("() => [...document.querySelectorAll('#kpis a')].map(a => a.href)")
    finally:
        page.close()
    assert any(h.endswith(f"kpi/{DEEP_KPI}/03_kpi_deep_dive.html") for h in hrefs)
    assert any(h.endswith("2022-23_Q2/02_quarterly_report.html") for h in hrefs)
    for h in set(hrefs):
        assert h.startswith("file://") and Path(h.removeprefix("file://")).is_file(), h
