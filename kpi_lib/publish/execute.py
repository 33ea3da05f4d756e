"""Execute one parameterised notebook with papermill in the project's kernel, and render HTML.

Papermill only warns about unknown parameters and leaves the output half-written on failure;
here unknown names are rejected before anything runs and failures name the notebook and cell.
"""

from __future__ import annotations

import atexit
import multiprocessing.util
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
import zmq
from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum

from kpi_lib.errors import KpiError, UsageError
from kpi_lib.paths import project_root, relative
from kpi_lib.publish.params import DEFAULT_TIMEOUT, check_notebook_params, check_timeout

KERNEL = "kpi-workbook"


RUNTIME_PREFIX = "kpi-kernels-"
_MAX_SOCKET_PATH = 100  # AF_UNIX paths stop at 107 bytes on Linux
_runtime: Path | None = None


def runtime_dir() -> Path:
    """This process's folder of kernel connection files and sockets, in the temp folder and
    removed at exit; folders of processes that were killed (kill -9 runs no clean-up) are
    removed when the next one is made."""
    global _runtime
    if (
        _runtime is None
        or not _runtime.is_dir()
        or not _runtime.name.startswith(f"{RUNTIME_PREFIX}{os.getpid()}-")
    ):
        clear_stale_runtime()
        _runtime = Path(
            tempfile.mkdtemp(prefix=f"{RUNTIME_PREFIX}{os.getpid()}-", dir=socket_temp_dir())
        )
        atexit.register(shutil.rmtree, _runtime, True)
        # a pool worker ends with os._exit, running multiprocessing's finalizers, not atexit
        multiprocessing.util.Finalize(None, shutil.rmtree, args=(_runtime, True), exitpriority=0)
    return _runtime


def remove_runtime_dir() -> None:
    """For a process about to os._exit, which runs neither atexit nor finalizers."""
    if _runtime is not None and _runtime.name.startswith(f"{RUNTIME_PREFIX}{os.getpid()}-"):
        shutil.rmtree(_runtime, ignore_errors=True)


def socket_temp_dir() -> str:
    """The temp folder, or /tmp when its path leaves no room for a socket's name."""
    tmp = tempfile.gettempdir()
    short = len(tmp) + len(RUNTIME_PREFIX) + 30 <= _MAX_SOCKET_PATH
    return tmp if short or not os.path.isdir("/tmp") else "/tmp"


def clear_stale_runtime() -> list[Path]:
    from kpi_lib.locks import pid_alive

    gone = []
    for p in Path(socket_temp_dir()).glob(f"{RUNTIME_PREFIX}*-*"):
        pid = p.name.removeprefix(RUNTIME_PREFIX).split("-")[0]
        if p.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p)
    return gone


class _EncryptedKernelManager(AsyncKernelManager):
    """Kernels talk over Unix sockets in this process's own folder (`runtime_dir`): no TCP
    port can be taken by another process between being chosen and bound (the heartbeat's
    "Address already in use"), and no connection file is left in the temp folder. CurveZMQ
    keys keep the channel private (and quiet ipykernel's warning about unencrypted
    transport). Loopback TCP only when the temp folder's path is too long for a socket."""

    transport_encryption = CaselessStrEnum(
        ["disabled", "auto", "required"],
        default_value="auto" if zmq.has("curve") else "disabled",
        config=True,
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        base = runtime_dir() / f"k{uuid.uuid4().hex[:10]}"
        if len(str(base)) + 3 <= _MAX_SOCKET_PATH:
            self.transport = "ipc"
            self.ip = str(base)
        self.connection_file = f"{base}.json"


class NotebookError(KpiError):
    """A notebook failed; the executed copy with the failing cell is kept at `kept`."""

    def __init__(self, notebook: str, message: str, cell: int | None = None, kept: str = ""):
        self.notebook, self.message, self.cell, self.kept = notebook, message, cell, kept
        where = f"cell {cell}: " if cell is not None else ""
        keep = f" (executed copy kept at {kept})" if kept else ""
        super().__init__(f"{notebook}: {where}{message}{keep}")


@dataclass
class NotebookRun:
    notebook: str
    ipynb: Path
    html: Path
    seconds: float


def declared_parameters(notebook: Path) -> dict[str, Any]:
    """The names (and defaults) of the notebook's `parameters` cell."""
    info = papermill.inspect_notebook(str(notebook))
    return {name: spec.get("default") for name, spec in info.items()}


def check_parameters(notebook: Path, params: dict[str, Any]) -> None:
    """Reject unknown parameter names up front: papermill would only warn and run anyway."""
    if not notebook.is_file():
        raise UsageError(f"{relative(notebook)}: no such notebook")
    declared = declared_parameters(notebook)
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise UsageError(
            f"{relative(notebook)}: unknown parameter(s) {', '.join(unknown)}; "
            f"declared: {', '.join(sorted(declared))}"
        )


def check_planned(notebook: str, params: dict[str, Any]) -> None:
    """A planned notebook (its path under the project, as a plan or manifest names it) checked
    once, before any kernel starts: values as the CLI checks them, names against its
    `parameters` cell. The runner sets output_dir, so it counts as declared."""
    check_notebook_params(notebook, params)
    check_parameters(project_root() / notebook, {**params, "output_dir": ""})


def _first_error(nb_path: Path) -> tuple[int | None, str]:
    """The first cell with an error output in an executed notebook, as (index, 'Ename: value')."""
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable partial notebook has no cell to name
        return None, ""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, f"{out.get('ename')}: {out.get('evalue')}"
    return None, ""


def execute(
    notebook: Path,
    out_ipynb: Path,
    params: dict[str, Any],
    timeout: int = DEFAULT_TIMEOUT,
    kernel: str = KERNEL,
) -> float:
    """Run `notebook` into `out_ipynb`; raise NotebookError naming the failing cell. The caller
    has checked the parameters and timeout (run_notebook, or a plan checked as a whole)."""
    from jupyter_client.kernelspec import NoSuchKernel

    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    name = relative(notebook)
    try:
        papermill.execute_notebook(
            str(notebook),
            str(out_ipynb),
            parameters=params,
            kernel_name=kernel,
            progress_bar=False,
            execution_timeout=timeout,
            cwd=str(project_root()),
            kernel_manager_class=_EncryptedKernelManager,
        )
    except papermill.PapermillExecutionError as exc:
        msg = f"{exc.ename}: {str(exc.evalue).splitlines()[0] if exc.evalue else ''}".strip()
        raise NotebookError(name, msg, cell=exc.cell_index, kept=relative(out_ipynb)) from None
    except NoSuchKernel:
        raise KpiError(f"Jupyter kernel '{kernel}' is not installed: run `make setup`") from None
    except Exception as exc:  # noqa: BLE001 - timeouts and dead kernels come as many types
        cell, err = _first_error(out_ipynb)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        msg = err or f"{type(exc).__name__}: {first}"
        if "timed out" in str(exc).lower() or "Timeout" in type(exc).__name__:
            msg = f"cell timed out after {timeout} s"
        kept = relative(out_ipynb) if out_ipynb.exists() else ""
        raise NotebookError(name, msg, cell=cell, kept=kept) from None
    return time.perf_counter() - start


def to_html(ipynb: Path, html: Path, with_code: bool = False) -> None:
    """Render an executed notebook into a self-contained page (`publish.page_shell`); code cells
    hidden unless asked for. nbconvert's `basic` template: no CDN scripts to fetch."""
    from kpi_lib.publish.exporter import PaperExporter

    exporter = PaperExporter(exclude_input=not with_code)
    page, _ = exporter.from_notebook_node(
        nbformat.read(ipynb, as_version=4), {"metadata": {"name": ipynb.stem}}
    )
    html.write_text(page, encoding="utf-8")


def run_notebook(
    notebook: Path,
    out_dir: Path,
    params: dict[str, Any],
    with_code: bool = False,
    timeout: int = DEFAULT_TIMEOUT,
    kernel: str = KERNEL,
    checked: bool = False,
) -> NotebookRun:
    """Execute and render one notebook into `out_dir` (which the caller owns and swaps in).
    `checked`: the caller checked the parameters and timeout with the whole plan's, before
    the first notebook ran (execute_plan, the audit's re-run)."""
    if not checked:
        check_parameters(notebook, params)
        check_timeout(timeout)
    out_ipynb = out_dir / notebook.name
    seconds = execute(notebook, out_ipynb, params, timeout=timeout, kernel=kernel)
    html = out_ipynb.with_suffix(".html")
    to_html(out_ipynb, html, with_code=with_code)
    return NotebookRun(relative(notebook), out_ipynb, html, seconds)
