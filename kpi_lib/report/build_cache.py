"""A cache for what `kpi report` recomputes: the quarterly tables (claims checks, backtested
forecasts) are a pure function of the store's bytes, the catalogue, the parameters and the
code, so a second `kpi report` of an unchanged quarter loads them instead of refitting every
model (building 2022/23 Q2 takes 4-8 s).

A cache that cannot run code or lie undetected:
- data formats only: one JSON file per entry, tables inside it as Parquet (base64), periods
  and numbers as text; decoding rebuilds only the three result classes it knows
  (`_CLASSES`), never a class named by the file. No pickle.
- keyed by the sha256 of the store's Parquet files, the catalogue, the parameters and every
  kpi_lib source file: any change to data or code is a miss;
- checked on read: the entry records the sha256 of its content and its own key; a mismatch,
  or anything unreadable, is recomputed, never trusted;
- checked on write: an entry is stored only when decoding it gives back exactly what was
  computed (every table cell, dtype and index), so a cached run publishes the same bytes as
  an uncached one.
A content hash catches damage, not a forger who rewrites it: that is why `kpi audit` re-runs
with a private, empty cache ($KPI_REPORT_CACHE_DIR) and never reads the audited project's.
Entries live under data/cache/report/ (delete the folder to clear it); KPI_CACHE=off
disables it, as for the PDF cache.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import math
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from kpi_lib.digest import sha256_file
from kpi_lib.paths import processed_dir, project_root
from kpi_lib.settings import settings
from kpi_lib.store.catalog import catalog_file
from kpi_lib.store.councils import current

T = TypeVar("T")
STORE_FILES = ("observations.parquet", "reports.parquet", "commentary.parquet")
FORMAT = 1
MAX_ENTRY_BYTES = 64_000_000  # far above any real entry: a bigger file is not read


class Uncacheable(Exception):
    """A value this cache cannot write and read back exactly: it is recomputed each time."""


def enabled() -> bool:
    return settings().cache_on


def cache_dir() -> Path:
    env = (settings().report_cache_dir or "").strip()
    return Path(env) if env else project_root() / "data" / "cache" / "report"


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of every kpi_lib source file: any edit to the code is a miss."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"format {FORMAT}".encode())
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _digest(path: Path) -> str:
    return sha256_file(path) if path.is_file() else "-"


def key(kind: str, params: dict[str, Any]) -> str:
    me = current()
    parts = {
        "kind": kind,
        "params": params,
        "code": code_version(),
        "store": {f: _digest(processed_dir() / f) for f in STORE_FILES},
        "catalog": _digest(catalog_file(me)),
        "council": me.id,  # two councils' reports of one quarter never share a result
    }
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return f"{kind}-{hashlib.sha256(blob).hexdigest()[:32]}"


def cached(kind: str, params: dict[str, Any], compute: Callable[[], T]) -> T:
    """`compute()` once per (data, code, parameters); later calls load the stored result."""
    if not enabled():
        return compute()
    name = key(kind, params)
    path = cache_dir() / f"{name}.json"
    found = load(path, name)
    if found is not None:
        return found
    result = compute()
    store(path, name, result)
    return result


# --- entries ---------------------------------------------------------------------------------
def _content_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def load(path: Path, name: str) -> Any | None:
    """The decoded entry, or None (and the entry removed) unless it is whole and its own."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
        ok = (
            isinstance(doc, dict)
            and doc.get("format") == FORMAT
            and doc.get("key") == name
            and doc.get("content_sha256") == _content_hash(doc.get("value"))
        )
        if not ok:
            raise Uncacheable("entry does not match its key or content hash")
        return decode(doc["value"])
    except Exception:  # noqa: BLE001 - damaged, foreign or forged: recomputed, never trusted
        path.unlink(missing_ok=True)
        return None


def store(path: Path, name: str, result: Any) -> bool:
    """Write the entry atomically when it reads back exactly; False when it was not written."""
    try:
        value = encode(result)
        same(decode(json.loads(json.dumps(value))), result)
    except Uncacheable:
        return False
    doc = {"format": FORMAT, "key": name, "content_sha256": _content_hash(value), "value": value}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, sort_keys=True)
        os.replace(tmp, path)  # atomic: parallel runs never read half an entry
    except OSError:
        return False  # a cache that cannot be written is skipped, never an error
    return True


# --- encoding: JSON with tagged values -------------------------------------------------------
def _classes() -> dict[str, type]:
    from kpi_lib.analysis.forecast import ForecastResult
    from kpi_lib.report.deep_dive import DeepDive
    from kpi_lib.report.quarterly import Quarterly

    return {c.__name__: c for c in (Quarterly, DeepDive, ForecastResult)}


def _parquet(df: pd.DataFrame) -> str:
    buf = io.BytesIO()
    try:
        df.to_parquet(buf, engine="pyarrow")
    except Exception as exc:  # noqa: BLE001 - arrow refuses mixed-type columns and the like
        raise Uncacheable(f"table not storable as Parquet: {exc}") from None
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _unparquet(text: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(base64.b64decode(text)), engine="pyarrow")


def encode(x: Any) -> Any:
    if x is None or isinstance(x, bool | str) or type(x) is int:
        return x
    if type(x) is float:
        return {"$float": repr(x)} if not math.isfinite(x) else x
    if isinstance(x, np.generic):
        return {"$np": x.dtype.str, "v": encode(x.item())}
    if isinstance(x, pd.DataFrame):
        return {"$frame": _parquet(x), "attrs": encode(dict(x.attrs))}
    if isinstance(x, pd.Series):
        if x.name is not None and not isinstance(x.name, str):
            raise Uncacheable("series name not text")
        frame = _parquet(x.to_frame(name="v"))
        return {"$series": frame, "name": x.name, "attrs": encode(dict(x.attrs))}
    if isinstance(x, pd.Period):
        return {"$period": str(x), "freq": x.freqstr}
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "fiub" or x.ndim > 2:
            raise Uncacheable(f"array of {x.dtype}")
        flat = pd.DataFrame(x.reshape(len(x), -1) if x.ndim else x.reshape(1, 1))
        flat.columns = [str(c) for c in flat.columns]
        return {"$array": _parquet(flat), "shape": list(x.shape)}
    if isinstance(x, tuple):
        return {"$tuple": [encode(v) for v in x]}
    if isinstance(x, list):
        return [encode(v) for v in x]
    if isinstance(x, dict):
        if not all(isinstance(k, str) for k in x):
            raise Uncacheable("dict keys not text")
        return {"$dict": [[k, encode(v)] for k, v in x.items()]}
    if dataclasses.is_dataclass(x) and type(x).__name__ in _classes():
        fields = {f.name: encode(getattr(x, f.name)) for f in dataclasses.fields(x)}
        return {"$class": type(x).__name__, "fields": fields}
    raise Uncacheable(f"{type(x).__name__} values are not cached")


def decode(x: Any) -> Any:
    if isinstance(x, list):
        return [decode(v) for v in x]
    if not isinstance(x, dict):
        return x
    if "$float" in x:
        return float(x["$float"])
    if "$np" in x:
        return np.dtype(x["$np"]).type(decode(x["v"]))
    if "$frame" in x:
        df = _unparquet(x["$frame"])
        df.attrs.update(decode(x["attrs"]))
        return df
    if "$series" in x:
        s = _unparquet(x["$series"])["v"].rename(x["name"])
        s.attrs.update(decode(x["attrs"]))
        return s
    if "$period" in x:
        return pd.Period(x["$period"], freq=x["freq"])
    if "$array" in x:
        return _unparquet(x["$array"]).to_numpy().reshape(x["shape"])
    if "$tuple" in x:
        return tuple(decode(v) for v in x["$tuple"])
    if "$dict" in x:
        return {k: decode(v) for k, v in x["$dict"]}
    if "$class" in x:
        cls = _classes()[x["$class"]]  # only the result classes: a KeyError is a miss
        return cls(**{k: decode(v) for k, v in x["fields"].items()})
    raise Uncacheable("unknown tag")


def same(a: Any, b: Any) -> None:
    """Raise Uncacheable unless `a` (read back) is exactly `b` (computed)."""
    if type(a) is not type(b):
        raise Uncacheable(f"{type(b).__name__} read back as {type(a).__name__}")
    try:
        if isinstance(b, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, check_freq=True)
            same(dict(a.attrs), dict(b.attrs))
        elif isinstance(b, pd.Series):
            pd.testing.assert_series_equal(a, b, check_exact=True, check_freq=True)
            same(dict(a.attrs), dict(b.attrs))
        elif isinstance(b, np.ndarray):
            np.testing.assert_array_equal(a, b, strict=True)
        elif isinstance(b, list | tuple):
            if len(a) != len(b):
                raise Uncacheable("length differs")
            for u, v in zip(a, b, strict=True):
                same(u, v)
        elif isinstance(b, dict):
            if list(a) != list(b):
                raise Uncacheable("keys differ")
            for k in b:
                same(a[k], b[k])
        elif dataclasses.is_dataclass(b):
            for f in dataclasses.fields(b):
                same(getattr(a, f.name), getattr(b, f.name))
        elif isinstance(b, float) and math.isnan(b):
            if not math.isnan(a):
                raise Uncacheable("NaN read back as a number")
        elif a != b:
            raise Uncacheable(f"{b!r} read back as {a!r}")
    except AssertionError as exc:
        raise Uncacheable(str(exc).splitlines()[0] if str(exc) else "differs") from None
