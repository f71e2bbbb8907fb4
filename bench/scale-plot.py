#!/usr/bin/env python3
"""bench/scale-plot.py OUT.svg: the cost-at-scale curve of `make bench`.

Reads lines "ROWS KIND REQ_PER_S P99_MS" on stdin (KIND "warm" or
"memlimit"; ROWS 0 is the empty ledger, drawn in both series) and writes
a small SVG of two panels, req/s and p99 against the ledger's rows.
Standard library only.
"""
import sys

W, H, PAD, GAP = 300, 200, 48, 40
COLOURS = {"warm": "#1f77b4", "memlimit": "#d62728"}


def label(rows):
    return "empty" if rows == 0 else "%g M" % (rows / 1e6)


def panel(x0, title, unit, series, xs):
    out = []
    top = max([v for pts in series.values() for _, v in pts] + [1]) * 1.15
    left, right = x0 + PAD, x0 + W - 10
    y_top, y_bot = 30, H - 30

    def px(rows):
        i = xs.index(rows)
        return left + (right - left) * (i / max(len(xs) - 1, 1))

    def py(v):
        return y_bot - (y_bot - y_top) * v / top

    out.append('<text x="%d" y="18" font-size="13">%s</text>' % (left, title))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>'
               % (left, y_bot, right, y_bot))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>'
               % (left, y_top, left, y_bot))
    for i in range(5):
        v = top * i / 4
        out.append('<text x="%d" y="%.0f" font-size="10" text-anchor="end">'
                   '%.0f</text>' % (left - 4, py(v) + 3, v))
    out.append('<text x="%d" y="%d" font-size="10">%s</text>'
               % (x0 + 2, y_top - 8, unit))
    for rows in xs:
        out.append('<text x="%.0f" y="%d" font-size="10" '
                   'text-anchor="middle">%s</text>'
                   % (px(rows), y_bot + 14, label(rows)))
    for kind, pts in sorted(series.items()):
        pts = sorted(pts)
        c = COLOURS.get(kind, "#555")
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" '
                   'points="%s"/>' % (c, " ".join(
                       "%.0f,%.0f" % (px(r), py(v)) for r, v in pts)))
        for r, v in pts:
            out.append('<circle cx="%.0f" cy="%.0f" r="3" fill="%s"/>'
                       % (px(r), py(v), c))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scale-plot.py OUT.svg")
    rps, p99 = {}, {}
    xs = set()
    empty = None
    for line in sys.stdin:
        f = line.split()
        if len(f) != 4:
            continue
        rows, kind, r, p = int(f[0]), f[1], float(f[2]), float(f[3])
        xs.add(rows)
        if rows == 0:
            empty = (r, p)
            continue
        rps.setdefault(kind, []).append((rows, r))
        p99.setdefault(kind, []).append((rows, p))
    if empty is not None:
        for kind in list(rps) or ["warm"]:
            rps.setdefault(kind, []).append((0, empty[0]))
            p99.setdefault(kind, []).append((0, empty[1]))
    xs = sorted(xs)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif">' % (2 * W + GAP, H + 20),
           '<rect width="100%" height="100%" fill="white"/>']
    out += panel(0, "durable GitHub deliveries", "req/s", rps, xs)
    out += panel(W + GAP, "p99 at saturation", "ms", p99, xs)
    x = PAD
    for kind in sorted(rps):
        out.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/>'
                   % (x, H + 4, COLOURS.get(kind, "#555")))
        out.append('<text x="%d" y="%d" font-size="11">%s</text>'
                   % (x + 14, H + 13, "ledger in the page cache"
                      if kind == "warm" else "memory-limited (cgroup)"))
        x += 190
    out.append("</svg>")
    with open(sys.argv[1], "w") as fp:
        fp.write("\n".join(out) + "\n")


main()
