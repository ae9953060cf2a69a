"""The Nu Html Checker (vnu), run on the pages the browser journeys were served.

A page that renders can still be invalid HTML (a `<time datetime>` a machine cannot read, an id
used twice, headings that skip a level), and assistive technology reads the markup, not the
picture. `HtmlPages` keeps every HTML document the live server sent; `html_errors` checks them
all in one run of vnu, since starting Java costs about a second a run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: vnu.jar, installed from npm by `make vnu` (part of `make test`).
VNU = (Path(__file__).parent.parent / ".cache" / "npm-vnu" / "node_modules" / "vnu-jar" / "build"
       / "dist" / "vnu.jar")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class ServedPage:
    """One HTML document as the server sent it, and the address it was sent for."""

    url: str
    html: bytes


class HtmlPages:
    """WSGI middleware keeping a copy of every `text/html` response the wrapped app sends.

    Recording on the server, not in the browser, checks the markup exactly as served and cannot
    miss a page the browser navigated away from before it could be read.
    """

    def __init__(self, app: WsgiApp):
        self.app = app
        self.pages: list[ServedPage] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        sent: dict[str, bool] = {}

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            sent["html"] = any(name.lower() == "content-type" and value.startswith("text/html")
                               for name, value in headers)
            return start_response(status, headers, *exc_info)

        body = self.app(environ, start)
        if not sent.get("html"):
            return body
        try:
            chunks = list(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        query = environ.get("QUERY_STRING", "")
        url = environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")
        with self._lock:
            self.pages.append(ServedPage(f"{environ.get('REQUEST_METHOD', 'GET')} {url}",
                                         b"".join(chunks)))
        return chunks


def vnu_problem() -> str | None:
    """Why vnu cannot run here, or None when Java and vnu.jar are both present."""
    if shutil.which("java") is None:
        return "The HTML check needs Java (apt-get install default-jre-headless)."
    if not VNU.exists():
        return f"The HTML check needs vnu at {VNU}: run `make vnu`."
    return None


def _distinct(pages: Iterable[ServedPage]) -> Iterator[ServedPage]:
    seen: set[bytes] = set()
    for page in pages:
        digest = hashlib.sha256(page.html).digest()
        if digest not in seen:
            seen.add(digest)
            yield page


def html_errors(pages: Iterable[ServedPage]) -> list[str]:
    """Every error vnu finds in `pages`, as "URL line N: message", in one run of the checker."""
    distinct = list(_distinct(pages))
    if not distinct:
        return []
    problem = vnu_problem()
    if problem is not None:
        raise RuntimeError(problem)
    with tempfile.TemporaryDirectory(prefix="casebook-vnu-") as folder:
        by_file = {f"page-{number:03d}.html": page for number, page in enumerate(distinct, 1)}
        for name, page in by_file.items():
            (Path(folder) / name).write_bytes(page.html)
        run = subprocess.run(
            ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout",
             *(str(Path(folder) / name) for name in by_file)],
            capture_output=True, text=True, check=False, timeout=300,
        )
    try:
        messages = json.loads(run.stdout)["messages"]
    except (ValueError, KeyError) as error:
        raise RuntimeError(
            f"vnu did not answer in JSON ({error}): {run.stderr or run.stdout}") from error
    return [_described(message, by_file) for message in messages
            if message.get("type") in ("error", "non-document-error")]


def _described(message: dict[str, Any], by_file: dict[str, ServedPage]) -> str:
    where = str(message.get("url", ""))
    page = by_file.get(where.rpartition("/")[2])
    url = page.url if page is not None else where
    line = message.get("lastLine", message.get("firstLine", "?"))
    return f"{url} line {line}: {message.get('message', '')} [{message.get('extract', '')}]"
