#!/usr/bin/env python3
"""Draws the demo publication's illustrations (simple SVG maps and charts) into demo/images/.

The images are made here, from shapes and numbers chosen for the demo; nothing is copied.
Run it again after changing it; the output is committed.
"""

import math
import os
import random

OUT = os.path.join(os.path.dirname(__file__), "..", "demo", "images")
W, H = 1200, 675


def svg(body, background):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">'
            f'<rect width="{W}" height="{H}" fill="{background}"/>{body}</svg>\n')


def coast(seed, color, background):
    rng = random.Random(seed)
    body = []
    for layer in range(3):
        points = []
        y = H * (0.45 + 0.12 * layer)
        for x in range(0, W + 60, 60):
            y += rng.uniform(-35, 35)
            points.append(f"{x},{y:.0f}")
        shade = 0.35 + 0.2 * layer
        body.append(f'<polygon points="0,{H} {" ".join(points)} {W},{H}" fill="{color}" opacity="{shade:.2f}"/>')
    for _ in range(7):
        x, y = rng.uniform(80, W - 80), rng.uniform(80, H * 0.4)
        body.append(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="6" fill="#fff"/>'
                    f'<circle cx="{x:.0f}" cy="{y:.0f}" r="18" fill="none" stroke="#fff" stroke-width="2" opacity="0.6"/>')
    return svg("".join(body), background)


def bars(seed, color, background):
    rng = random.Random(seed)
    values = [rng.uniform(0.2, 1.0) for _ in range(12)]
    body = [f'<line x1="100" y1="{H - 90}" x2="{W - 80}" y2="{H - 90}" stroke="#fff" stroke-width="3"/>']
    width = (W - 220) / len(values)
    for i, value in enumerate(values):
        height = value * (H - 220)
        x = 110 + i * width
        body.append(f'<rect x="{x:.0f}" y="{H - 90 - height:.0f}" width="{width * 0.7:.0f}" height="{height:.0f}" fill="{color}"/>')
    return svg("".join(body), background)


def lines(seed, colors, background):
    rng = random.Random(seed)
    body = []
    for y in range(120, H - 60, 90):
        body.append(f'<line x1="80" y1="{y}" x2="{W - 60}" y2="{y}" stroke="#ffffff" stroke-opacity="0.15"/>')
    for color in colors:
        y = rng.uniform(250, 450)
        points = []
        for x in range(80, W - 40, 40):
            y = min(H - 80, max(100, y + rng.uniform(-30, 28)))
            points.append(f"{x},{y:.0f}")
        body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="6" stroke-linejoin="round"/>')
    return svg("".join(body), background)


def grid(seed, color, background):
    rng = random.Random(seed)
    body = []
    for row in range(9):
        for column in range(16):
            if rng.random() < 0.55:
                opacity = rng.uniform(0.25, 1)
                body.append(f'<rect x="{60 + column * 68}" y="{50 + row * 66}" width="56" height="54" rx="6" '
                            f'fill="{color}" opacity="{opacity:.2f}"/>')
    return svg("".join(body), background)


def rings(seed, color, background):
    rng = random.Random(seed)
    body = []
    for _ in range(5):
        cx, cy = rng.uniform(200, W - 200), rng.uniform(150, H - 150)
        for r in range(30, 260, 38):
            body.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{r}" fill="none" stroke="{color}" '
                        f'stroke-width="3" opacity="{max(0.1, 1 - r / 280):.2f}"/>')
    return svg("".join(body), background)


IMAGES = {
    "strait-patrol.svg": coast(1, "#6b8fb5", "#1d2b3a"),
    "peninsula.svg": coast(2, "#7fa37a", "#22301f"),
    "shipping-lanes.svg": coast(3, "#c9a66b", "#2e2a22"),
    "tariff-chart.svg": bars(4, "#e07a5f", "#2b2d42"),
    "grain-prices.svg": lines(5, ["#f2cc8f", "#81b29a"], "#3d405b"),
    "grid-storage.svg": grid(6, "#90be6d", "#1f2d24"),
    "solar-belt.svg": rings(7, "#f9c74f", "#3a2e1f"),
    "data-centres.svg": grid(8, "#4cc9f0", "#10162b"),
    "election-map.svg": grid(9, "#f28482", "#2d1e2f"),
    "arctic.svg": coast(10, "#cfe3f2", "#24384a"),
    "debt-chart.svg": lines(11, ["#ff6b6b", "#feca57", "#48dbfb"], "#222f3e"),
    "summit.svg": rings(12, "#c8b6ff", "#241f3a"),
}

AVATARS = {
    "mira-okafor": "#6b8fb5", "daniel-reyes": "#7fa37a", "hana-sato": "#e07a5f",
    "lukas-brandt": "#90be6d", "amara-nwosu": "#4cc9f0", "elena-voss": "#c8b6ff",
}


def avatar(initials, color):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 144 144" width="144" height="144">'
            f'<rect width="144" height="144" fill="{color}"/>'
            f'<text x="72" y="90" font-family="Georgia, serif" font-size="56" fill="#fff" '
            f'text-anchor="middle">{initials}</text></svg>\n')


def main():
    os.makedirs(os.path.join(OUT, "authors"), exist_ok=True)
    for name, text in IMAGES.items():
        with open(os.path.join(OUT, name), "w") as out:
            out.write(text)
    for slug, color in AVATARS.items():
        initials = "".join(part[0].upper() for part in slug.split("-"))
        with open(os.path.join(OUT, "authors", slug + ".svg"), "w") as out:
            out.write(avatar(initials, color))


if __name__ == "__main__":
    main()
