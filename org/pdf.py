"""HTML to PDF with WeasyPrint for every report of the portal (duty files, rosters,
registers, posters, meeting papers): one place that decides what a PDF may load.

Templates link static files (the Noto CJK fonts, portal.css) with relative or /static/
URLs; they resolve against BASE_URL and are read from disk. Nothing else is fetched: the
portal runs on closed networks, and a PDF must not call the portal itself while it renders.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

# Relative URLs in the HTML resolve against this; nothing is ever fetched from it.
BASE_URL = "https://portal.invalid/"


def local_fetcher():
    """A WeasyPrint fetcher that loads static files from disk and data: URIs; anything else
    (another host, a page of the portal itself) is refused, not requested."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parts = urlsplit(url)
            static = settings.STATIC_URL or "/static/"
            if parts.netloc == urlsplit(BASE_URL).netloc and parts.path.startswith(static):
                found = finders.find(parts.path[len(static) :])
                if found:
                    kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
                    # WeasyPrint closes the file once read.
                    return URLFetcherResponse(url, open(found, "rb"), {"Content-Type": kind})  # noqa: SIM115
            raise ValueError(f"not fetched while building a PDF: {url}")

    return LocalFetcher(allowed_protocols=("data", "https"))


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html` (a rendered template), with only local static files loaded."""
    from weasyprint import HTML

    return HTML(string=html, base_url=BASE_URL, url_fetcher=local_fetcher()).write_pdf()
