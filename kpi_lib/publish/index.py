"""outputs/index.html: the council's dashboard. Every KPI with its latest figure and period, its
target and status, a sparkline of its comparable history (one basis: the latest figure's) and
links to its deep dive and to each quarter's paper that prints it. Sortable and filterable by
priority and status with a few lines of inline script: one file, no server, no CDN.

Built from the store (no notebook runs), by `kpi batch` (with `--deep-dives` every KPI's link
leads somewhere) and by `kpi report`; a deep dive or paper not built yet is named, not linked.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kpi_lib.periods import parse_report_period, slug
from kpi_lib.publish.page_shell import CSS, print_boxes
from kpi_lib.report import present as pr
from kpi_lib.store.snapshot import Store
from kpi_lib.store.sources import load_sources

INDEX_NAME = "index.html"
STATUS_ORDER = {"Red": 0, "Amber": 1, "Green": 2, "Unrated": 3}
SPARK_W, SPARK_H, PAD = 120, 30, 3
GAP_DAYS = 200  # points further apart are not joined (as in the charts: a gap stays a gap)


@dataclass
class Entry:
    """One KPI's row of the index."""

    kpi_id: str
    title: str
    priority: str
    latest: str  # as printed: unit and the council's decimals
    latest_value: float | None
    period: str
    period_end: str  # ISO date, for sorting
    target: str
    status: str
    points: list[tuple[pd.Timestamp, float]]
    basis: str
    papers: list[str]  # report periods whose tables print it


def entries(data: Store) -> list[Entry]:
    """Every KPI with a figure, its latest current row first, on that row's basis."""
    obs = data.observations
    cur = obs[obs["is_current"]].sort_values(["period_end", "period"], kind="stable")
    decimals = pr.printed_decimals(obs)
    out = []
    for kpi_id, rows in cur.groupby("kpi_id", sort=True):
        known = rows[pd.to_numeric(rows["value"], errors="coerce").notna()]
        last = (known if len(known) else rows).iloc[-1]
        basis = str(last.get("basis") or "")
        same = known[known["basis"].fillna("").astype(str) == basis]
        same = same[same["period_end"].notna()]
        unit = str(last.get("unit") or "")
        value = pd.to_numeric(pd.Series([last["value"]]), errors="coerce").iloc[0]
        shown = pr.number(value, decimals.get(str(kpi_id), 1), unit) if pd.notna(value) else ""
        word = pr.unit_word(unit)
        mine = obs[obs["kpi_id"] == kpi_id]
        latest_report = mine.sort_values("report_period", kind="stable").iloc[-1]
        rag = pr.text(latest_report.get("rag")) or "Unrated"
        out.append(
            Entry(
                kpi_id=str(kpi_id),
                title=pr.text(last["metric_name"]),
                priority=pr.text(last.get("section")) or "Other",
                latest=f"{shown} {word}".strip() if shown else "",
                latest_value=None if pd.isna(value) else float(value),
                period=pr.period_as_printed(last),
                period_end="" if pd.isna(last["period_end"]) else f"{last['period_end']:%Y-%m-%d}",
                target=pr.text(latest_report.get("target_text")),
                status=rag if rag in STATUS_ORDER else "Unrated",
                points=[(r["period_end"], float(r["value"])) for _, r in same.iterrows()],
                basis=basis,
                papers=sorted(set(mine["report_period"].astype(str))),
            )
        )
    return sorted(out, key=lambda e: (e.priority.casefold(), e.title.casefold()))


def _run(points: list[str]) -> str:
    """One run of joined points; a point on its own (a gap either side) is a dot."""
    if len(points) > 1:
        return f'<polyline points="{" ".join(points)}" />'
    x, y = points[0].split(",")
    return f'<circle class="alone" cx="{x}" cy="{y}" r="1.6" />'


def sparkline(e: Entry) -> str:
    """The comparable history as a small inline SVG: one line per run of points no further
    apart than GAP_DAYS, the latest point marked; its label says what it shows."""
    pts = e.points
    if len(pts) < 2:
        return '<span class="empty">too few points</span>'
    xs = [p[0].value for p in pts]
    ys = [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def at(x: float, y: float) -> tuple[float, float]:
        fx = (x - x0) / (x1 - x0) if x1 > x0 else 0.5
        fy = (y - y0) / (y1 - y0) if y1 > y0 else 0.5
        return PAD + fx * (SPARK_W - 2 * PAD), SPARK_H - PAD - fy * (SPARK_H - 2 * PAD)

    runs: list[list[str]] = [[]]
    for i, (t, y) in enumerate(pts):
        if i and (t - pts[i - 1][0]).days > GAP_DAYS:
            runs.append([])
        x, yy = at(t.value, y)
        runs[-1].append(f"{x:.1f},{yy:.1f}")
    lines = "".join(_run(r) for r in runs if r)
    lx, ly = at(xs[-1], ys[-1])
    label = (
        f"{e.title}: {len(pts)} figures ({e.basis or 'basis not known'}) from "
        f"{pts[0][1]:,.6g} to {pts[-1][1]:,.6g}"
    )
    return (
        f'<svg class="spark" role="img" width="{SPARK_W}" height="{SPARK_H}" '
        f'viewBox="0 0 {SPARK_W} {SPARK_H}" aria-label="{html.escape(label, quote=True)}">'
        f"<title>{html.escape(label)}</title>{lines}"
        f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="2.6" /></svg>'
    )


def _link(outputs: Path, here: Path, rel: str, text: str, missing: str) -> str:
    target = outputs / rel
    if target.is_file():
        href = Path(os.path.relpath(target, here.parent)).as_posix()
        return f'<a href="{html.escape(href, quote=True)}">{html.escape(text)}</a>'
    why = html.escape(missing, quote=True)
    return f'<span class="missing" title="{why}">{html.escape(text)} (not built)</span>'


HEADERS = [
    ("KPI", "text"),
    ("Priority", "text"),
    ("Latest figure", "num"),
    ("Period", "text"),
    ("Target", "text"),
    ("Status", "num"),
    ("Trend (one basis)", "num"),
    ("Deep dive and papers", ""),
]


def _row(e: Entry, outputs: Path, here: Path) -> str:
    esc = html.escape
    dive = _link(
        outputs,
        here,
        f"kpi/{e.kpi_id}/03_kpi_deep_dive.html",
        "deep dive",
        f"not built yet: kpi deep-dive {e.kpi_id}",
    )
    papers = []
    for label in e.papers:
        folder = slug(parse_report_period(label))
        papers.append(
            _link(
                outputs,
                here,
                f"{folder}/02_quarterly_report.html",
                label,
                f"not built yet: kpi report --period {folder}",
            )
        )
    value = "" if e.latest_value is None else f"{e.latest_value:.12g}"
    cells = [
        f'<th scope="row" data-sort="{esc(e.title.casefold(), quote=True)}">{esc(e.title)}</th>',
        f"<td>{esc(e.priority)}</td>",
        f'<td class="num" data-sort="{value}">{esc(e.latest)}</td>',
        f'<td data-sort="{e.period_end}">{esc(e.period)}</td>',
        f"<td>{esc(e.target)}</td>",
        f'<td data-sort="{STATUS_ORDER[e.status]}">'
        f'<span class="rag rag-{e.status.lower()}">{esc(e.status)}</span></td>',
        f'<td data-sort="{len(e.points)}">{sparkline(e)}</td>',
        f'<td class="links">{dive}<br>Papers: {", ".join(papers) or "none"}</td>',
    ]
    return (
        f'<tr data-priority="{esc(e.priority, quote=True)}" data-status="{e.status}" '
        f'id="kpi-{esc(e.kpi_id, quote=True)}">{"".join(cells)}</tr>'
    )


EXTRA_CSS = """
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: end; margin: 1rem 0; }
.filters label { display: flex; flex-direction: column; font-size: .9rem; font-weight: 600; }
.filters select { font: inherit; font-weight: normal; padding: .25rem; min-width: 12rem; }
th button { all: unset; cursor: pointer; font-weight: 600; }
th button:focus-visible { outline: 2px solid var(--link); }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
svg.spark polyline { fill: none; stroke: #455a64; stroke-width: 1.5; }
svg.spark circle { fill: #0d47a1; } svg.spark circle.alone { fill: #455a64; }
.missing { color: #555; }
td.links { font-size: .85rem; min-width: 15em; }
@media print { .filters { display: none; } }
"""

SCRIPT = """
(() => {
  const body = document.querySelector('#kpis tbody');
  const count = document.getElementById('shown');
  const pick = { priority: document.getElementById('priority'),
                 status: document.getElementById('status') };
  function filter() {
    let n = 0;
    for (const r of body.rows) {
      const hide = (pick.priority.value && r.dataset.priority !== pick.priority.value)
        || (pick.status.value && r.dataset.status !== pick.status.value);
      r.hidden = hide;
      if (!hide) n += 1;
    }
    count.textContent = n + (n === 1 ? ' KPI shown' : ' KPIs shown');
  }
  pick.priority.addEventListener('change', filter);
  pick.status.addEventListener('change', filter);
  document.querySelectorAll('#kpis thead button').forEach((b) => b.addEventListener('click', () => {
    const th = b.closest('th');
    const col = [...th.parentNode.children].indexOf(th);
    const asc = th.getAttribute('aria-sort') !== 'ascending';
    document.querySelectorAll('#kpis thead th[aria-sort]')
      .forEach((t) => t.setAttribute('aria-sort', 'none'));
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    const key = (r) => { const c = r.children[col]; return c.dataset.sort ?? c.innerText; };
    const numeric = b.dataset.kind === 'num';
    const rows = [...body.rows];
    rows.sort((x, y) => {
      const a = key(x), z = key(y);
      if (a === '' || z === '') return (a === '') - (z === '');  // blanks last either way
      const c = numeric ? Number(a) - Number(z) : a.localeCompare(z);
      return asc ? c : -c;
    });
    rows.forEach((r) => body.appendChild(r));
  }));
  filter();
})();
"""


def _select(name: str, label: str, every: str, values: list[str]) -> str:
    esc = html.escape
    opts = "".join(f'<option value="{esc(x, quote=True)}">{esc(x)}</option>' for x in values)
    return (
        f'<label for="{name}">{label}<select id="{name}">'
        f'<option value="">{every}</option>{opts}</select></label>'
    )


def _head(text: str, kind: str) -> str:
    if not kind:
        return f'<th scope="col">{html.escape(text)}</th>'
    return (
        f'<th scope="col" aria-sort="none"><button type="button" data-kind="{kind}">'
        f"{html.escape(text)}</button></th>"
    )


def render(data: Store, here: Path) -> str:
    """The index page (links relative to `here`, where it will be written)."""
    outputs = here.parent
    es = entries(data)
    reps = sorted(set(data.reports["report_period"].astype(str)))
    council = next((s.publisher for s in load_sources().values() if s.publisher), "The council")
    span = f"reports {reps[0]} to {reps[-1]}" if reps else "no reports"
    title = f"{council}: KPI index, {len(es)} KPIs, {span}"
    esc = html.escape
    priorities = sorted({e.priority for e in es})
    heads = "".join(_head(h, kind) for h, kind in HEADERS)
    rows = "".join(_row(e, outputs, here) for e in es)
    counts = pd.Series([e.status for e in es]).value_counts()
    said = ", ".join(f"{int(counts.get(s, 0))} {s.lower()}" for s in STATUS_ORDER)
    intro = (
        f"<p>Every KPI in the store with its latest figure, the period it describes, the "
        f"target and status printed with it in its latest report ({esc(said)}), and a "
        "sparkline of its figures on the latest figure's basis (a year to date is never "
        "joined to a single quarter). Click a column heading to sort; choose a priority or "
        "status to filter.</p>"
    )
    filters = (
        '<div class="filters">'
        + _select("priority", "Priority", "All priorities", priorities)
        + _select("status", "Status", "All statuses", list(STATUS_ORDER))
        + '<p id="shown" role="status" aria-live="polite"></p></div>'
    )
    table = (
        '<div class="table-box" role="region" tabindex="0" aria-label="KPIs">'
        f'<table class="kpi-table" id="kpis"><thead><tr>{heads}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}{EXTRA_CSS}{print_boxes(title)}</style>\n"
        f"</head>\n<body>\n<main>\n<h1>{esc(title)}</h1>\n{intro}{filters}{table}\n</main>\n"
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def write_index(path: Path) -> Path:
    """Write the index atomically (a reader never opens half a page)."""
    page = render(Store.load(), path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
