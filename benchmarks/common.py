"""What every benchmark module shares: the figure it reports.

Each module under ``benchmarks/`` exposes ``run(quick: bool) -> list[Figure]``; ``python -m benchmarks`` runs them
all, prints one ``name: value`` line per figure and writes ``docs/performance.md``. Speed is reported as ratios
against a baseline measured in the same run, because absolute times on shared machines drift.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure: ``name: value`` on the console, one row of the table in docs/performance.md."""

    name: str  # dotted, stable: "pages.section.ratio_to_ceiling"
    value: float | int | str
    unit: str = ""  # "req/s", "ms", "x", "MiB", "s"
    target: str = ""  # the target, e.g. ">= 0.35"; empty when the figure has none
    met: bool | None = None  # None when there is no target
    note: str = ""  # what the figure means or what stands in the way of the target

    def line(self) -> str:
        """The console line: ``name: value unit``."""
        value = f"{self.value:.3g}" if isinstance(self.value, float) else str(self.value)
        return f"{self.name}: {value}{(' ' + self.unit) if self.unit else ''}"
