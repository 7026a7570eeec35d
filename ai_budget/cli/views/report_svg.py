"""Hand-written inline SVG for the HTML report: a frame with axes and grid, and lines with dots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

# Colour-blind-safe (Okabe-Ito), in the order series take them.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def attrs(**values: object) -> str:
    """` key="value"` pairs, escaped; underscores become dashes (data_day -> data-day)."""
    return "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape(str(value), quote=True)}"'
        for key, value in values.items()
        if value is not None
    )


def num(value: float) -> str:
    """A coordinate with at most one decimal."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def nice_max(value: float) -> float:
    """The top of an axis at or above `value`: a round number whose fifths are round too."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * power + 1e-12:
            return step * power
    return 10 * power


def axis_label(value: float, top: float, unit: str) -> str:
    """A y label: `40%`, `$0.30`, `$15,000` (cents only when the axis's fifths need them)."""
    if unit != "$":
        return f"{value:g}{unit}"
    return f"${value:,.0f}" if float(top / 5).is_integer() else f"${value:,.2f}"


def label_room(top: float, unit: str) -> int:
    """The left margin that fits the widest y label (about 7 px a character at 11 px, and a gap)."""
    return max(48, 7 * len(axis_label(top, top, unit)) + 14)


@dataclass
class Frame:
    """A chart's drawing area: `count` slots along x (days), values 0..top along y."""

    width: int
    height: int
    count: int
    top: float
    left: int = 56
    right: int = 16
    upper: int = 14
    lower: int = 30
    parts: list[str] = field(default_factory=list)

    @property
    def inner_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def inner_height(self) -> float:
        return self.height - self.upper - self.lower

    def x(self, slot: float) -> float:
        """The centre of slot `slot` (0-based)."""
        return self.left + (slot + 0.5) * self.inner_width / max(self.count, 1)

    def slot_width(self) -> float:
        return self.inner_width / max(self.count, 1)

    def y(self, value: float) -> float:
        return self.upper + self.inner_height * (1 - min(max(value, 0.0), self.top) / self.top)

    def axes(self, labels: Sequence[str], unit: str, every: int | None = None) -> None:
        """Grid lines with y labels at fifths of the top, x labels as close as their width lets them."""
        out = ['<g class="axes">']
        for i in range(6):
            value = self.top * i / 5
            y = num(self.y(value))
            label = axis_label(value, self.top, unit)
            out.append(
                f'<line class="grid" x1="{self.left}" x2="{self.width - self.right}" y1="{y}" y2="{y}"/>'
            )
            out.append(f'<text class="ylabel" x="{self.left - 6}" y="{y}" dy="0.32em">{escape(label)}</text>')
        room = max(60, 7 * max((len(t) for t in labels), default=0) + 16)  # about 7 px a character
        step = every or max(1, math.ceil(len(labels) * room / max(self.inner_width, 1)))
        base = num(self.upper + self.inner_height)
        for i, text in enumerate(labels):
            if i % step or self.x(i) + 3.5 * len(text) > self.width:  # none cut off at the right edge
                continue
            out.append(
                f'<text class="xlabel" x="{num(self.x(i))}" y="{base}" dy="1.3em">{escape(text)}</text>'
            )
        out.append(
            f'<line class="axis" x1="{self.left}" x2="{self.width - self.right}" y1="{base}" y2="{base}"/>'
        )
        out.append("</g>")
        self.parts += out

    def svg(self, title: str) -> str:
        """The finished <svg> element."""
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}"'
            f' width="{self.width}" height="{self.height}" role="img"{attrs(aria_label=title)}>'
        )
        return "\n".join([head, f"<title>{escape(title)}</title>", *self.parts, "</svg>"])


def line_series(frame: Frame, points: Sequence[tuple[float, float, str]], colour: str, **data: object) -> str:
    """A line through (slot, value, tooltip) points with a dot at each: solid from one day to the next,
    dashed across days with no reading."""
    out = [f'<g class="series"{attrs(**data)} stroke="{colour}" fill="{colour}">']
    solid: list[str] = []
    gaps: list[str] = []
    for (s0, v0, _), (s1, v1, _) in zip(points, points[1:], strict=False):  # consecutive pairs
        start, end = f"{num(frame.x(s0))},{num(frame.y(v0))}", f"{num(frame.x(s1))},{num(frame.y(v1))}"
        (solid if s1 - s0 <= 1 else gaps).append(f"M{start} L{end}")
    if solid:
        out.append(f'<path class="line" d="{" ".join(solid)}" fill="none"/>')
    if gaps:
        out.append(f'<path class="gap" d="{" ".join(gaps)}" fill="none"/>')
    for slot, value, tip in points:
        out.append(
            f'<circle class="dot" cx="{num(frame.x(slot))}" cy="{num(frame.y(value))}" r="3"'
            f"{attrs(data_value=f'{value:g}')}><title>{escape(tip)}</title></circle>"
        )
    out.append("</g>")
    return "\n".join(out)
