"""Draw Attune's PNG icons from the mark in static/img/icon.svg (a one-off; the PNGs are committed).

    pip install pillow   # into a scratch venv; Pillow is not an app dependency
    python scripts/make_icons.py

The mark, in the SVG's 64-unit box: a rounded square in the accent colour,
two white dots (the two partners) over a white arch (what they share):

    <rect width="64" height="64" rx="14" fill="#5e4391"/>
    <path d="M20 40c0-8 6-14 12-14s12 6 12 14" stroke="#fff" stroke-width="5" stroke-linecap="round"/>
    <circle cx="24" cy="22" r="5"/>  <circle cx="40" cy="22" r="5"/>

Icons made:
  icon-192.png, icon-512.png    purpose "any": the rounded square on a transparent ground
  icon-maskable-512.png         purpose "maskable": full-bleed colour, the mark inside the
                                central 80% safe zone, so any mask shape keeps it whole
  apple-touch-icon.png          180x180, opaque and square (iOS rounds the corners itself)
  badge-96.png                  white mark on transparent, for Android's status-bar badge
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ACCENT = (0x5E, 0x43, 0x91, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
SUPERSAMPLE = 4
OUT = Path(__file__).resolve().parents[1] / "static" / "img"


def _bezier(p0, p1, p2, p3, steps=200):
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        yield (
            u**3 * p0[0] + 3 * u**2 * t * p1[0] + 3 * u * t**2 * p2[0] + t**3 * p3[0],
            u**3 * p0[1] + 3 * u**2 * t * p1[1] + 3 * u * t**2 * p2[1] + t**3 * p3[1],
        )


def _mark(draw: ImageDraw.ImageDraw, origin: float, unit: float, colour) -> None:
    """The dots and the arch, with the SVG's 64-unit box mapped to origin + unit * (x, y)."""

    def at(x: float, y: float) -> tuple[float, float]:
        return origin + unit * x, origin + unit * y

    def disc(x: float, y: float, r: float) -> None:
        cx, cy = at(x, y)
        draw.ellipse((cx - unit * r, cy - unit * r, cx + unit * r, cy + unit * r), fill=colour)

    # The arch: the path's two cubic segments, stroked 5 units wide with round caps.
    curve = list(_bezier((20, 40), (20, 32), (26, 26), (32, 26))) + list(
        _bezier((32, 26), (38, 26), (44, 32), (44, 40))
    )
    for x, y in curve:
        disc(x, y, 2.5)
    disc(24, 22, 5)
    disc(40, 22, 5)


def _render(size: int, *, background: str, mark_scale: float = 1.0, colour=WHITE) -> Image.Image:
    """background: "rounded" (the SVG's square), "full" (edge to edge) or "none"."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), CLEAR)
    draw = ImageDraw.Draw(image)
    if background == "rounded":
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 14 / 64, fill=ACCENT)
    elif background == "full":
        draw.rectangle((0, 0, big, big), fill=ACCENT)
    unit = big / 64 * mark_scale
    origin = (big - unit * 64) / 2
    _mark(draw, origin, unit, colour)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    _render(192, background="rounded").save(OUT / "icon-192.png", optimize=True)
    _render(512, background="rounded").save(OUT / "icon-512.png", optimize=True)
    # The mark spans units 19..45 wide, 17..42.5 high; at 0.8 scale it sits well inside the
    # maskable safe zone (a circle of radius 40% of the icon around its centre).
    _render(512, background="full", mark_scale=0.8).save(OUT / "icon-maskable-512.png", optimize=True)
    _render(180, background="full", mark_scale=0.85).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    _render(96, background="none", mark_scale=1.5).save(OUT / "badge-96.png", optimize=True)
    for name in ("icon-192.png", "icon-512.png", "icon-maskable-512.png", "apple-touch-icon.png", "badge-96.png"):
        print(OUT / name, Image.open(OUT / name).size)


if __name__ == "__main__":
    main()
