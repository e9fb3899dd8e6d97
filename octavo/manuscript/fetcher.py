"""The only way WeasyPrint may read a resource: files under allowed roots, or data: URIs.

Network schemes are refused without a connection attempt; `..` escapes and
symlinks leaving the allowed folders are refused after resolving the path.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

LOG = logging.getLogger("octavo.fetcher")

MIME_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
    ".webp": "image/webp", ".svg": "image/svg+xml", ".css": "text/css",
    ".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2",
    ".icc": "application/vnd.iccprofile",
}


class RefusedResource(ValueError):
    """A URL the rules do not allow; WeasyPrint reports it and carries on."""


def path_inside(url_or_path: str | Path, roots: list[Path]) -> Path | None:
    """The resolved path if it lies inside one of `roots`, else None."""
    try:
        path = Path(url_or_path).resolve()
    except (OSError, ValueError):  # a NUL byte, a loop of symlinks
        return None
    for root in roots:
        if path.is_relative_to(root.resolve()):
            return path
    return None


# The manuscript folder's address in the paged HTML, the same in every checkout: WeasyPrint
# names images after their URL (an md5), so a real path would change the PDFs' bytes.
MANUSCRIPT_URL = "file:///octavo/manuscript/"


class SafeFetcher(URLFetcher):
    """Refuses everything but `data:` and `file:` inside `roots`. No redirects.

    `aliases` maps a URL prefix (MANUSCRIPT_URL) to the folder it stands for; the
    path it leads to is checked like any other.
    """

    def __init__(self, roots: list[Path], aliases: dict[str, Path] | None = None):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=5)
        self.roots = [Path(root) for root in roots]
        self.aliases = {prefix: Path(folder) for prefix, folder in (aliases or {}).items()}
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            if not url[5:].lower().startswith(("image/", "font/", "application/font")):
                return self._refuse(url, "only image and font data: URIs are allowed")
            return super().fetch(url, headers)
        if scheme != "file":
            return self._refuse(url, f"{scheme or 'relative'} URLs are not fetched")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return self._refuse(url, "remote file URLs are not fetched")
        local = url2pathname(unquote(parts.path))
        for prefix, folder in self.aliases.items():
            if url.startswith(prefix):
                local = folder / url2pathname(unquote(urlsplit(url[len(prefix):]).path))
        path = path_inside(local, self.roots)
        if path is None or not path.is_file():
            return self._refuse(url, "outside the manuscript and styles folders, or missing")
        mime = MIME_TYPES.get(path.suffix.lower())
        if mime is None:
            return self._refuse(url, "not an allowed resource type")
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})

    def _refuse(self, url: str, why: str):
        shown = url if len(url) < 120 else url[:117] + "..."
        self.refused.append(f"{shown}: {why}")
        raise RefusedResource(f"refused {shown}: {why}")
