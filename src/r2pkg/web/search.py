"""``/search`` (a page of ranked, highlighted results with facets) and ``/api/search`` (the same
as JSON): a thin adapter over :class:`r2pkg.search.searcher.Searcher` and the build's index.

Parameters: ``q`` (the text), ``kind`` and ``year`` (facets, repeatable or comma-separated),
``limit`` (1-100, default 20) and ``offset``. A bad request is a 400 with a JSON reason
(``{"error": "BAD_SEARCH", "reason": "empty-query" | "query-too-long" | "no-words" | "bad-facet"
| "bad-page", ...}``); the page shows the same message.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from ..errors import BadSearch
from ..search import INDEX_FILE
from ..search.documents import KIND_NAMES
from ..search.searcher import MAX_QUERY_CHARS, Results, Searcher
from .representations import iri_map, linked, urls
from .state import state

bp = Blueprint("search", __name__)
KEY = "r2pkg.search"
PAGE_SIZE = 20


def searcher() -> Searcher:
    """The app's searcher over its build's index (made once per app)."""
    found = current_app.extensions.get(KEY)
    if found is None:
        path = linked().build_path
        found = current_app.extensions[KEY] = Searcher(path / INDEX_FILE if path else INDEX_FILE + ".missing")
    return found


def _list(name: str) -> list[str]:
    return [v.strip() for raw in request.args.getlist(name) for v in raw.split(",") if v.strip()]


def _int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise BadSearch(f"{name} must be a whole number, got {raw!r}", reason="bad-page")
    return int(raw)


def _run() -> Results:
    return searcher().search(request.args.get("q"), kinds=_list("kind"), years=_list("year"),
                             limit=_int("limit", PAGE_SIZE), offset=_int("offset", 0))


def _links(hit) -> dict:
    iris, pages = iri_map(), urls()
    ev = hit.evidence
    return {"page": iris.href(hit.iri),
            "source": pages.source_page(ev["source"], ev["start"], ev["end"]) if ev else None}


@bp.get("/api/search")
def api_search() -> Response:
    res = _run()
    resp = jsonify({"query": res.query, "total": res.total, "offset": _int("offset", 0),
                    "hits": [{**h.as_dict(), **_links(h)} for h in res.hits], "facets": res.facets,
                    "kinds": list(KIND_NAMES)})
    return _cached(resp)


@bp.get("/search")
def search_page() -> Response:
    q = (request.args.get("q") or "").strip()
    res, error, status = None, None, 200
    if q or request.args.get("q") is not None:
        try:
            res = _run()
        except BadSearch as e:
            error, status = e.message, e.status
    kinds, years = _list("kind"), _list("year")

    def facet_url(name: str, value: str | None) -> str:
        args = {"q": q, "kind": kinds, "year": years}
        if value is None:
            args[name] = []
        else:
            args[name] = [value]
        return "?" + urlencode({k: v for k, v in args.items() if v}, doseq=True)

    offset, limit = (_int("offset", 0), _int("limit", PAGE_SIZE)) if res else (0, PAGE_SIZE)
    paging = {"limit": limit} if limit != PAGE_SIZE else {}  # the next page as long as this one
    more = "?" + urlencode({"q": q, "kind": kinds, "year": years, **paging, "offset": offset + limit}, doseq=True) \
        if res and res.total > offset + limit else None
    hits = [{"hit": h, **_links(h)} for h in res.hits] if res else []
    html = render_template("search.html", q=q, res=res, hits=hits, error=error, kinds=kinds, years=years,
                           facet_url=facet_url, more=more, offset=offset, max_chars=MAX_QUERY_CHARS,
                           api=url_for("search.api_search", **request.args.to_dict(flat=False)))
    return _cached(Response(html, status=status, content_type="text/html; charset=utf-8"))


def _cached(resp: Response) -> Response:
    st = state()
    if resp.status_code == 200:
        resp.headers["Cache-Control"] = f"public, max-age={st.settings['CACHE_MAX_AGE']}"
    resp.headers["X-R2pkg-Build"] = st.build_id
    return resp
