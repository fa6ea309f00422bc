"""The indicators as server-rendered SVG bar charts: no script, readable by a screen reader
(each chart has a title and a description listing every value), printable as it is."""

from __future__ import annotations

from html import escape

from carechain.quality import Report, Result

__all__ = ["proportion_chart", "time_chart"]

# Each row is the indicator's name above its bar, so a chart stays legible when a phone
# scales it down to its width.
BAR = 300  # the bar area
WIDTH = BAR + 110  # and the value right of it
ROW = 58


def _svg(title: str, desc: str, rows: list[str], height: int, chart_id: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
            f'<title id="{chart_id}-title">{escape(title)}</title>'
            f'<desc id="{chart_id}-desc">{escape(desc)}</desc>{"".join(rows)}</svg>')


def _row(y: int, label: str, fraction: float, value: str, testid: str) -> str:
    width = max(0.0, min(1.0, fraction)) * BAR
    return (f'<g data-testid="{testid}">'
            f'<text x="0" y="{y + 18}" class="chart-label">{escape(label)}</text>'
            f'<rect x="0" y="{y + 26}" width="{BAR}" height="24" class="chart-track"/>'
            f'<rect x="0" y="{y + 26}" width="{width:.1f}" height="24" class="chart-bar"/>'
            f'<text x="{BAR + 8}" y="{y + 43}" class="chart-value">{escape(value)}</text>'
            f'</g>')


def proportion_chart(report: Report) -> str:
    """Return each proportion indicator as a bar of its percentage (0 to 100%)."""
    results = [r for r in report.results if r.indicator.kind == "proportion"]
    rows, said = [], []
    for n, r in enumerate(results):
        if r.percent is None:
            value, fraction = "no patients", 0.0
        else:
            value = f"{r.percent:.0f}% ({r.numerator}/{r.denominator})"
            fraction = r.percent / 100
        rows.append(_row(n * ROW, r.indicator.title, fraction, value,
                         f"bar-{r.indicator.id}"))
        said.append(f"{r.indicator.title}: {value}")
    return _svg(f"Care bundles and ROSC, {report.month}", "; ".join(said), rows,
                len(results) * ROW + 8, "chart-proportions")


def _minutes(value: float | None) -> str:
    return "none measured" if value is None else f"{value:.0f} min"


def time_chart(result: Result, month: str) -> str:
    """Return a time indicator's mean and 90th centile as bars on one scale of minutes."""
    values = [("Mean", result.mean), ("90th centile", result.centile90)]
    top = max((v for _, v in values if v is not None), default=0.0) or 1.0
    rows = [_row(n * ROW, label, (v or 0.0) / top, _minutes(v),
                 f"bar-{result.indicator.id}-{n}") for n, (label, v) in enumerate(values)]
    desc = "; ".join(f"{label}: {_minutes(v)}" for label, v in values)
    return _svg(f"{result.indicator.title}, {month}", desc, rows, len(values) * ROW + 8,
                f"chart-{result.indicator.id}")
