"""Uploaded images are hostile: a logo reaches a report only re-encoded (PNG) or rebuilt from an allow-list (SVG).

``clean_logo(data)`` is the one gate, used by the front-matter form and by the archive importer. It returns a
``CleanImage`` (PNG or SVG bytes that are safe to embed in a PDF or a Word file) or raises ``ImageRejected`` with a
message for the person who chose the file.

- **PNG**: at most ``MAX_IMAGE_BYTES``; the pixel size is read from the header and checked *before* any pixel is
  decoded (a small file can declare a huge canvas: a decompression bomb); then Pillow decodes it and writes a new
  PNG, which leaves behind every chunk but the pixels (text, colour profiles, animation frames, trailing data).
- **SVG**: parsed with defusedxml, which refuses any DOCTYPE (so no entities: neither XXE nor "billion laughs") and
  never fetches anything. Active or outward-pointing content is refused with a message naming it — scripts, event
  handlers (``onload``…), ``foreignObject``, embedded or linked images, animation, links or ``url()`` anywhere but a
  fragment of the same file (``#id``), CSS ``@import``. What is merely unknown (editor metadata, Inkscape or
  Illustrator attributes) is dropped, and the file is rebuilt element by element from an allow-list.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import xml.etree.ElementTree as ET  # nosec B405 - only builds and serialises the cleaned tree; parsing is defusedxml
import zlib
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring
from PIL import Image, UnidentifiedImageError

PNG = "image/png"
SVG = "image/svg+xml"
MAX_IMAGE_BYTES = 1_000_000
MAX_SIDE_PX = 4000
MAX_PIXELS = 12_000_000
MAX_SVG_ELEMENTS = 20_000
MAX_SVG_DEPTH = 60

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_XML_NS = "http://www.w3.org/XML/1998/namespace"

# Elements refused outright, with the reason shown to the organizer.
_REFUSED = {
    "script": "a script", "foreignObject": "embedded HTML (foreignObject)", "image": "an embedded or linked image",
    "feImage": "an embedded or linked image", "iframe": "embedded HTML", "embed": "embedded content",
    "object": "embedded content", "handler": "a script", "listener": "a script", "animate": "animation",
    "animateMotion": "animation", "animateTransform": "animation", "animateColor": "animation", "set": "animation",
    "a": "a link", "discard": "animation", "audio": "media", "video": "media", "font-face-uri": "an external font",
}
_ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "path", "rect", "circle", "ellipse", "line", "polyline",
    "polygon", "text", "tspan", "textPath", "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern",
    "style", "switch", "marker", "filter", "feGaussianBlur", "feOffset", "feBlend", "feColorMatrix", "feComposite",
    "feFlood", "feMerge", "feMergeNode", "feMorphology",
}
_TEXT_ELEMENTS = {"text", "tspan", "textPath", "title", "desc", "style"}
_ATTRIBUTES = {
    "id", "class", "style", "transform", "viewBox", "preserveAspectRatio", "version", "width", "height", "x", "y",
    "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "d", "points", "pathLength", "dx", "dy",
    "rotate", "textLength", "lengthAdjust", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
    "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
    "stroke-dashoffset", "opacity", "color", "display", "visibility", "overflow", "clip-path", "clip-rule", "mask",
    "filter", "font-family", "font-size", "font-weight", "font-style", "font-variant", "font-stretch",
    "letter-spacing", "word-spacing", "text-anchor", "text-decoration", "dominant-baseline", "alignment-baseline",
    "baseline-shift", "writing-mode", "direction", "unicode-bidi", "offset", "stop-color", "stop-opacity",
    "gradientUnits", "gradientTransform", "spreadMethod", "patternUnits", "patternContentUnits",
    "patternTransform", "clipPathUnits", "maskUnits", "maskContentUnits", "markerWidth", "markerHeight", "refX",
    "refY", "orient", "markerUnits", "marker-start", "marker-mid", "marker-end", "filterUnits", "primitiveUnits",
    "in", "in2", "result", "stdDeviation", "mode", "operator", "k1", "k2", "k3", "k4", "values", "type",
    "flood-color", "flood-opacity", "radius", "color-interpolation-filters", "shape-rendering", "text-rendering",
    "image-rendering", "vector-effect", "paint-order", "mix-blend-mode", "isolation", "requiredFeatures",
    "systemLanguage", "href",
}
_URL = re.compile(r"url\s*\(\s*(['\"]?)\s*([^)'\"]*)", re.I)
_BAD_CSS = re.compile(r"@import|expression\s*\(|javascript:|\\|behavior\s*:|-moz-binding", re.I)


class ImageRejected(ValueError):
    """An uploaded image that wg will not put in a report; the message says why, for the person who chose it."""


@dataclass(frozen=True)
class CleanImage:
    """A logo ready for a report: re-encoded PNG or rebuilt SVG bytes and its size in pixels."""

    media_type: str
    data: bytes
    width_px: int
    height_px: int
    png_fallback: bytes | None = None  # an SVG drawn as PNG (wg.lib.svg_raster.with_png_fallback), for the DOCX


def clean_logo(data: bytes) -> CleanImage:
    """Check and clean an uploaded PNG or SVG; raise ImageRejected with a clear message otherwise."""
    if not data:
        raise ImageRejected("The file is empty: choose a PNG or SVG image.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(f"The image is {len(data) / 1_000_000:.1f} MB: a logo may be at most "
                            f"{MAX_IMAGE_BYTES // 1_000_000} MB.")
    if data.startswith(_PNG_SIGNATURE):
        return _clean_png(data)
    if _looks_like_svg(data):
        return _clean_svg(data)
    raise ImageRejected("This is not a PNG or SVG image: export the logo as PNG or SVG and choose it again.")


# --- PNG --------------------------------------------------------------------------------------------------------


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ImageRejected("The PNG declares no pixels: it is damaged.")
    if width > MAX_SIDE_PX or height > MAX_SIDE_PX or width * height > MAX_PIXELS:
        raise ImageRejected(f"The image is {width:,} × {height:,} pixels: a logo may be at most "
                            f"{MAX_SIDE_PX:,} pixels on a side ({MAX_PIXELS // 1_000_000} million pixels in all).")


def _clean_png(data: bytes) -> CleanImage:
    # The header first: width and height are the first fields of IHDR, which must be the first chunk.
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise ImageRejected("The PNG is damaged (it has no image header).")
    width, height = struct.unpack(">II", data[16:24])
    _check_size(width, height)
    _check_chunks(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                if image.size != (width, height):
                    raise ImageRejected("The PNG is damaged (its header does not match its size).")
                image.load()
                frame = _flatten_mode(image)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, struct.error, MemoryError) as error:
        raise ImageRejected(f"The PNG could not be read ({type(error).__name__}): it is damaged or not a PNG.") \
            from None
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=False, compress_level=9)
    return CleanImage(PNG, out.getvalue(), width, height)


def _check_chunks(data: bytes) -> None:
    """Every chunk whole, with its checksum, up to IEND. Pillow cannot be relied on for this: WeasyPrint sets
    ``ImageFile.LOAD_TRUNCATED_IMAGES`` for the whole process when imported, and then a cut-short PNG decodes."""
    offset = len(_PNG_SIGNATURE)
    while True:
        if offset + 12 > len(data):
            raise ImageRejected("The PNG could not be read (it is cut short): it is damaged or not a PNG.")
        (length,), kind = struct.unpack(">I", data[offset:offset + 4]), data[offset + 4:offset + 8]
        end = offset + 8 + length
        if end + 4 > len(data):
            raise ImageRejected("The PNG could not be read (it is cut short): it is damaged or not a PNG.")
        if zlib.crc32(data[offset + 4:end]) & 0xFFFFFFFF != struct.unpack(">I", data[end:end + 4])[0]:
            raise ImageRejected("The PNG could not be read (a chunk fails its checksum): it is damaged.")
        if kind == b"IEND":
            return
        offset = end + 4


def _flatten_mode(image: Image.Image) -> Image.Image:
    """The first frame's pixels in a plain mode (RGBA where there is transparency, else RGB or grey)."""
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
    if image.mode in {"1", "L"} and not has_alpha:
        return image.convert("L")
    return image.convert("RGBA" if has_alpha else "RGB")


# --- SVG --------------------------------------------------------------------------------------------------------


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and b"<svg" in data[:65536].lower()


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _check_reference(value: str, what: str) -> None:
    """Refuse a reference that leaves the file: only ``#id`` fragments of the same document are allowed."""
    if "javascript:" in value.lower().replace(" ", ""):
        raise ImageRejected(f"The SVG contains a script ({what}); wg does not accept scripts in a logo.")
    for match in _URL.finditer(value):
        if not match.group(2).strip().startswith("#"):
            raise ImageRejected(f"The SVG refers to something outside the file ({what}: "
                                f"url({match.group(2).strip()[:60]})); a logo must be self-contained.")


def _check_css(css: str, what: str) -> None:
    if match := _BAD_CSS.search(css):
        raise ImageRejected(f"The SVG's style contains “{match.group()[:20]}” ({what}); a logo's style may not "
                            "import, escape or run anything.")
    _check_reference(css, what)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(px)?\s*", value)
    return float(match.group(1)) if match else None


class _SvgCleaner:
    """Rebuilds a parsed SVG from the allow-list, refusing active content."""

    def __init__(self) -> None:
        self.count = 0

    def element(self, source: Any, depth: int) -> ET.Element | None:
        self.count += 1
        if self.count > MAX_SVG_ELEMENTS:
            raise ImageRejected(f"The SVG has more than {MAX_SVG_ELEMENTS:,} elements: simplify the logo.")
        if depth > MAX_SVG_DEPTH:
            raise ImageRejected(f"The SVG nests elements more than {MAX_SVG_DEPTH} deep: simplify the logo.")
        ns, name = _local(source.tag) if isinstance(source.tag, str) else ("", "")
        if name in _REFUSED and ns in {_SVG_NS, ""}:
            raise ImageRejected(f"The SVG contains {_REFUSED[name]} (<{name}>); wg accepts only drawings in a logo.")
        if ns == "http://www.w3.org/1999/xhtml":
            raise ImageRejected("The SVG contains embedded HTML; wg accepts only drawings in a logo.")
        if ns != _SVG_NS or name not in _ELEMENTS:
            return None  # editor metadata and the like: dropped with everything inside
        out = ET.Element(f"{{{_SVG_NS}}}{name}")
        for key, value in source.attrib.items():
            attr_ns, attr = _local(key)
            where = f"{attr} on <{name}>"
            if attr.lower().startswith("on"):
                raise ImageRejected(f"The SVG contains an event handler ({where}); wg does not accept scripts in "
                                    "a logo.")
            if attr == "href" and attr_ns in {"", _XLINK_NS}:
                if not value.strip().startswith("#"):
                    raise ImageRejected(f"The SVG links outside the file ({where}: {value.strip()[:60]}); a logo "
                                        "must be self-contained.")
                out.set(f"{{{_XLINK_NS}}}href" if attr_ns else "href", value.strip())
                continue
            if attr_ns == _XML_NS and attr == "space":
                out.set(key, value)
                continue
            if attr_ns or attr not in _ATTRIBUTES:
                continue
            if attr == "style":
                _check_css(value, where)
            else:
                _check_reference(value, where)
            out.set(attr, value)
        if name in _TEXT_ELEMENTS and source.text:
            if name == "style":
                _check_css(source.text, "<style>")
            out.text = source.text
        for child in source:
            cleaned = self.element(child, depth + 1)
            if cleaned is not None:
                out.append(cleaned)
                if name in _TEXT_ELEMENTS and name != "style" and child.tail:
                    cleaned.tail = child.tail
        return out


def _clean_svg(data: bytes) -> CleanImage:
    try:
        root = safe_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ImageRejected("The SVG declares a document type or entities (<!DOCTYPE …>), which can read files or "
                            "exhaust memory; save the logo as plain SVG without a DOCTYPE.") from None
    except (ParseError, ValueError) as error:
        raise ImageRejected(f"The SVG is not well-formed XML ({error}).") from None
    if _local(root.tag) != (_SVG_NS, "svg"):
        raise ImageRejected("This is not an SVG image (its root element is not <svg> in the SVG namespace).")
    cleaned = _SvgCleaner().element(root, 0)
    assert cleaned is not None
    width, height = _svg_size(cleaned)
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    body = ET.tostring(cleaned, encoding="unicode")
    return CleanImage(SVG, body.encode("utf-8"), width, height)


def _svg_size(svg: ET.Element) -> tuple[int, int]:
    """The logo's size in CSS pixels (from width/height, else the viewBox); adds a viewBox so it scales."""
    box = [_number(part) for part in re.split(r"[\s,]+", (svg.get("viewBox") or "").strip()) if part]
    width, height = _number(svg.get("width")), _number(svg.get("height"))
    if len(box) == 4 and all(v is not None for v in box):
        box_w, box_h = float(box[2] or 0), float(box[3] or 0)
        width, height = width or box_w, height or box_h
    elif width and height:
        svg.set("viewBox", f"0 0 {width:g} {height:g}")
    if not width or not height or width <= 0 or height <= 0:
        raise ImageRejected("The SVG has no size: give its <svg> a viewBox (or width and height in pixels).")
    if width > 100_000 or height > 100_000:
        raise ImageRejected("The SVG's declared size is absurdly large: give it a viewBox of a sensible size.")
    return max(1, round(width)), max(1, round(height))
