"""The analyst API shows itself in Jupyter: a Kpi's repr is one short line (the dataclass repr
printed the whole store, ~30,000 characters) and its HTML a small table of facts; a forecast's
summary displays as lines of text, not a quoted string with \\n; its plot has the KPI as title
and the unit on the y-axis. Checked for every KPI of the bundled store, through IPython's own
display formatter."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from IPython.core.interactiveshell import InteractiveShell

import kpi_lib as kpi
from kpi_lib.analysis.fan import axis_label


def _shown(obj: object) -> dict[str, str]:
    """What Jupyter would display for `obj` (mime type -> text)."""
    data, _ = InteractiveShell.instance().display_formatter.format(obj)
    return data


def test_every_kpi_shows_itself_briefly(store_root: Path) -> None:
    ids = kpi.sql("select distinct kpi_id from observations order by 1")["kpi_id"]
    assert len(ids) > 20
    for kpi_id in ids:
        one = kpi.kpi(kpi_id)
        text = repr(one)
        assert len(text) <= 300 and "\n" not in text, text
        assert text.startswith(f"<Kpi {kpi_id}: ") and "points" in text
        shown = _shown(one)
        soup = BeautifulSoup(shown["text/html"], "html.parser")
        facts = {
            th.get_text(): td.get_text() for th, td in zip(soup("th"), soup("td"), strict=True)
        }
        assert facts["id"] == kpi_id and facts["title"] == one.title
        assert facts["unit"] and facts["points"]
        assert len(shown["text/html"]) < 2000


def test_forecast_summary_repr_and_plot(store_root: Path) -> None:
    shown_any = 0
    for kpi_id in ["care-home-admissions-65-plus", "young-people-eet", "library-visits"]:
        one = kpi.kpi(kpi_id)
        fc = one.forecast_or_none(3)
        if fc is None:
            continue
        shown_any += 1
        summary = fc.summary()
        assert isinstance(summary, str) and "Forecast" in summary
        plain = _shown(summary)["text/plain"]
        assert "\\n" not in plain and not plain.startswith(("'", '"'))
        assert plain.splitlines()[0] == one.title  # lines, headed by the KPI
        assert "<pre" in _shown(summary)["text/html"]
        assert "<pre" in _shown(fc)["text/html"]
        line = repr(fc)
        assert len(line) <= 300 and "\n" not in line and fc.model in line
        ax = fc.plot(one.quarterly()).axes[0]
        assert one.title.split()[0] in ax.get_title() and "forecast" in ax.get_title()
        assert ax.get_ylabel() == axis_label(one.unit) and ax.get_ylabel() != "value"
    assert shown_any >= 2


def test_axis_labels_name_the_unit() -> None:
    assert axis_label("%") == "per cent (%)"
    assert axis_label("days per FTE") == "days per FTE"
    assert axis_label("") == "value (no unit recorded)"
