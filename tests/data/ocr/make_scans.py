#!/usr/bin/env python3
"""Make the OCR test images from a text-layer PO, the way a scanner or a fax would:
rasterised at 200 dpi, slightly rotated, with speckle noise. Standard library only.

    pdftoppm -r 200 -gray -singlefile fixtures/inbox/PO_price_off.pdf /tmp/po
    python3 tests/data/ocr/make_scans.py /tmp/po.pgm tests/data/ocr

Writes scan-po.pdf (an image-only PDF, like a scanner's), fax-po.tif (1 bit, PackBits, like
a fax server's) and photo-po.png (8-bit grey at 150 dpi)."""
import math
import random
import struct
import sys
import zlib


def read_pgm(path):
    data = open(path, "rb").read()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P5", "binary PGM expected"
    w, h, maxv = int(parts[1]), int(parts[2]), int(parts[3])
    assert maxv == 255
    return w, h, bytearray(parts[4][: w * h])


def rotate(w, h, px, degrees, seed):
    """Nearest-neighbour rotation about the centre, white outside, plus speckles."""
    rnd = random.Random(seed)
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    cx, cy = w / 2, h / 2
    out = bytearray(b"\xff" * (w * h))
    for y in range(h):
        dy = y - cy
        row = y * w
        for x in range(w):
            dx = x - cx
            sx = int(c * dx + s * dy + cx)
            sy = int(-s * dx + c * dy + cy)
            if 0 <= sx < w and 0 <= sy < h:
                out[row + x] = px[sy * w + sx]
    for _ in range(w * h // 2000):
        out[rnd.randrange(w * h)] = 0
    return out


def shrink(w, h, px, factor):
    nw, nh = int(w * factor), int(h * factor)
    out = bytearray(nw * nh)
    for y in range(nh):
        sy = int(y / factor) * w
        for x in range(nw):
            out[y * nw + x] = px[sy + int(x / factor)]
    return nw, nh, out


def write_png(path, w, h, px):
    raw = b"".join(b"\x00" + bytes(px[y * w:(y + 1) * w]) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)


def packbits(row):
    out, i = bytearray(), 0
    while i < len(row):
        j = i
        while j + 1 < len(row) and row[j + 1] == row[i] and j - i < 127:
            j += 1
        if j > i:
            out += bytes([257 - (j - i + 1), row[i]])
            i = j + 1
        else:
            j = i
            while j + 1 < len(row) and row[j + 1] != row[j] and j - i < 127:
                j += 1
            out += bytes([j - i]) + row[i:j + 1]
            i = j + 1
    return bytes(out)


def write_tiff(path, w, h, px, dpi):
    """Bilevel (0 = white), PackBits, one strip per row."""
    rows = []
    for y in range(h):
        bits = bytearray((w + 7) // 8)
        for x in range(w):
            if px[y * w + x] < 128:
                bits[x // 8] |= 0x80 >> (x % 8)
        rows.append(packbits(bytes(bits)))
    entries = 11
    ifd_at = 8
    after_ifd = ifd_at + 2 + entries * 12 + 4
    offsets_at = after_ifd
    counts_at = offsets_at + 4 * h
    res_at = counts_at + 4 * h
    data_at = res_at + 16
    offsets, pos = [], data_at
    for r in rows:
        offsets.append(pos)
        pos += len(r)
    def e(tag, typ, count, value):
        return struct.pack("<HHII", tag, typ, count, value)
    ifd = struct.pack("<H", entries)
    ifd += e(256, 4, 1, w) + e(257, 4, 1, h) + e(258, 3, 1, 1) + e(259, 3, 1, 32773)
    ifd += e(262, 3, 1, 0) + e(273, 4, h, offsets_at) + e(278, 4, 1, 1)
    ifd += e(279, 4, h, counts_at) + e(282, 5, 1, res_at) + e(283, 5, 1, res_at + 8)
    ifd += e(296, 3, 1, 2) + struct.pack("<I", 0)
    blob = b"II*\x00" + struct.pack("<I", ifd_at) + ifd
    blob += b"".join(struct.pack("<I", o) for o in offsets)
    blob += b"".join(struct.pack("<I", len(r)) for r in rows)
    blob += struct.pack("<IIII", dpi, 1, dpi, 1) + b"".join(rows)
    open(path, "wb").write(blob)


def write_pdf(path, w, h, px, dpi):
    """One page, one grey image filling it, no text: what a scanner writes."""
    pw, ph = w * 72 / dpi, h * 72 / dpi
    img = zlib.compress(bytes(px), 9)
    content = f"q {pw:.2f} 0 0 {ph:.2f} 0 0 cm /Im0 Do Q".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.2f} {ph:.2f}] "
        f"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>".encode(),
        f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceGray "
        f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(img)} >>\nstream\n".encode()
        + img + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + o + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    open(path, "wb").write(out)


def main():
    src, out = sys.argv[1], sys.argv[2]
    w, h, px = read_pgm(src)
    scan = rotate(w, h, px, 0.8, 1)
    write_pdf(f"{out}/scan-po.pdf", w, h, scan, 200)
    fax = rotate(w, h, px, -0.6, 2)
    write_tiff(f"{out}/fax-po.tif", w, h, fax, 200)
    nw, nh, small = shrink(w, h, rotate(w, h, px, 0.4, 3), 0.75)
    write_png(f"{out}/photo-po.png", nw, nh, small)


if __name__ == "__main__":
    main()
