"""Small PDFs written by hand for the slides tests: each page a coloured square on white, so pages differ."""

from __future__ import annotations

COLOURS = [(1, 0, 0), (0, 0.6, 0), (0, 0, 1), (0.9, 0.7, 0), (0.5, 0, 0.5)]


def pdf(pages: int = 3, *, width: int = 400, height: int = 300, encrypt: bool = False) -> bytes:
    """A valid PDF of `pages` pages (page n shows COLOURS[n % 5] and a square whose size grows with n). `encrypt`
    adds a standard security handler whose user password is not empty: PDFium asks for a password."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for n in range(pages):
        r, g, b = COLOURS[n % len(COLOURS)]
        side = 40 + 20 * (n % 8)
        stream = f"{r} {g} {b} rg 20 20 {side} {side} re f".encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R >>" % (width, height, content)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    trailer_extra = b""
    if encrypt:
        objects.append(b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -44 >>")
        trailer_extra = b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (len(objects), b"ab" * 16, b"ab" * 16)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    return bytes(out)
