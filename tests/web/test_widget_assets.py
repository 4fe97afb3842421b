"""`GET /widget.js` and `/widget.css`: package data with ETag, 304, gzip and CORS `*`."""

from __future__ import annotations

import gzip
from importlib import resources

import pytest

from tests.web.helpers import make_app, serve


def shipped(name: str) -> bytes:
    return resources.files("component.web").joinpath("widget", name).read_bytes()


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("widget.js", "application/javascript"), ("widget.css", "text/css")],
)
async def test_an_asset_is_served_with_etag_cache_and_cors(name: str, content_type: str) -> None:
    async with serve(make_app()) as client:
        r = await client.get(f"/{name}", headers={"Accept-Encoding": "identity"})
        assert r.status == 200
        assert await r.read() == shipped(name)
        assert r.content_type == content_type and r.charset == "utf-8"
        assert "Content-Encoding" not in r.headers
        assert r.headers["Cache-Control"] == "public, max-age=300"
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert r.headers["Vary"] == "Accept-Encoding"
        etag = r.headers["ETag"]
        assert etag.startswith('"') and len(etag) > 10

        plain = {"Accept-Encoding": "identity"}
        r = await client.get(f"/{name}", headers={"If-None-Match": etag, **plain})
        assert r.status == 304 and await r.read() == b"" and r.headers["ETag"] == etag
        for matching in (f"W/{etag}", f'"other", {etag}', "*"):
            r = await client.get(f"/{name}", headers={"If-None-Match": matching, **plain})
            assert r.status == 304, matching
        r = await client.get(f"/{name}", headers={"If-None-Match": '"other"', **plain})
        assert r.status == 200


async def test_gzip_when_the_client_accepts_it() -> None:
    async with serve(make_app()) as client:
        r = await client.get(
            "/widget.js", headers={"Accept-Encoding": "br, gzip;q=0.8"}, auto_decompress=False
        )
        assert r.status == 200 and r.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(await r.read()) == shipped("widget.js")
        plain = await client.get(
            "/widget.js", headers={"Accept-Encoding": "gzip;q=0"}, auto_decompress=False
        )
        assert "Content-Encoding" not in plain.headers
        assert await plain.read() == shipped("widget.js")
        assert plain.headers["ETag"] != r.headers["ETag"]  # two representations, two tags
        again = await client.get(
            "/widget.js",
            headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["ETag"]},
            auto_decompress=False,
        )
        assert again.status == 304 and again.headers["ETag"] == r.headers["ETag"]
        other = await client.get(
            "/widget.js",
            headers={"Accept-Encoding": "identity", "If-None-Match": r.headers["ETag"]},
        )
        assert other.status == 200  # the gzip copy's tag does not stand for the plain one


def test_the_widget_uses_a_shadow_root_and_never_inner_html() -> None:
    script = shipped("widget.js").decode()
    assert 'attachShadow({ mode: "open" })' in script
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert ":host" in shipped("widget.css").decode()
