#!/usr/bin/env python3
"""Draws the app icon (an open register book on a green rounded square) as RGBA PNGs.

Pure Python (zlib + struct), so it runs anywhere; the PNGs it writes are committed.
Usage: python3 icons/gen_icons.py  (from the repository root)
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def inside_rounded(x, y, x0, y0, x1, y1, r):
    if x < x0 or x > x1 or y < y0 or y > y1:
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def colour_at(u, v):
    """Colour of the point (u, v) in the unit square, or None if transparent."""
    if not inside_rounded(u, v, 0.03, 0.03, 0.97, 0.97, 0.2):
        return None
    col = (22, 101, 52, 255)  # deep green
    # Two pages of an open book.
    left = inside_rounded(u, v, 0.17, 0.25, 0.49, 0.78, 0.04)
    right = inside_rounded(u, v, 0.51, 0.25, 0.83, 0.78, 0.04)
    if left or right:
        col = (250, 250, 245, 255)
        # Ruled lines on the pages.
        for ly in (0.36, 0.46, 0.56, 0.66):
            if abs(v - ly) < 0.018 and (0.22 < u < 0.45 or 0.55 < u < 0.78):
                col = (120, 140, 130, 255)
    # A red ribbon bookmark hanging from the spine.
    if 0.47 <= u <= 0.53 and 0.2 <= v <= 0.88 and not (v > 0.83 and abs(u - 0.5) < (v - 0.83)):
        col = (200, 30, 40, 255)
    # A yellow star in the top-right corner.
    if (u - 0.8) ** 2 + (v - 0.17) ** 2 < 0.006:
        col = (250, 204, 21, 255)
    return col


def render(size, ss=4):
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    c = colour_at((x + (sx + 0.5) / ss) / size, (y + (sy + 0.5) / ss) / size)
                    if c is not None:
                        for i in range(3):
                            acc[i] += c[i] * c[3]
                        acc[3] += c[3]
            n = ss * ss
            a = acc[3] / n
            if acc[3]:
                row += bytes(int(acc[i] / acc[3]) for i in range(3)) + bytes([int(a)])
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return b"".join(rows)


def png(path, size):
    raw = render(size, 4 if size <= 256 else 2)

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    for name, size in (("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)):
        png(os.path.join(HERE, name), size)
        print("wrote", name, size)
