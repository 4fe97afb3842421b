"""The demo's pieces without servers: its instructions, the Converse.js pages and their server."""

import json
import re
import socket
import urllib.request
from pathlib import Path

import pytest

from devstack.demo import instructions
from devstack.ports import port_or_free
from devstack.shop import snippet_from_site_show, write_shop
from devstack.webclient import StaticServer, converse_options, write_pages

STACK = {
    "host": "127.0.0.1",
    "xmpp_domain": "localhost",
    "c2s_port": 5222,
    "http_port": 5280,
    "component_domain": "helpdesk.localhost",
}
PASSWORDS = {"alice": "pa1", "bob": "pb2", "visitor": "pv3"}


def test_instructions_say_what_to_type_into_profanity_and_gajim() -> None:
    text = instructions(STACK, PASSWORDS, "http://127.0.0.1:8000")
    assert "/connect alice@localhost server 127.0.0.1 port 5222 tls trust" in text
    assert "host 127.0.0.1, port 5222, STARTTLS" in text
    assert "http://127.0.0.1:8000/alice.html" in text and "http://127.0.0.1:8000/bob.html" in text
    assert "bob@localhost      password pb2" in text
    assert "ws://127.0.0.1:5280/ws" in text and "demo@helpdesk.localhost" in text
    assert "/cmd exec info" in text


def test_without_a_console_the_instructions_say_why_and_keep_the_xmpp_part() -> None:
    text = instructions(STACK, PASSWORDS, None, "No browser console: npm is not installed.")
    assert "No browser console: npm is not installed." in text
    assert ".html" not in text and "tls trust" in text


def test_a_busy_preferred_port_gives_a_free_one() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        other = port_or_free(taken)
        assert other != taken
    assert port_or_free(other) == other


def test_pages_load_converse_as_a_module_and_log_the_operator_in(tmp_path: Path) -> None:
    dist = tmp_path / "converse" / "dist"
    dist.mkdir(parents=True)
    (dist / "converse.min.js").write_text("export {};\n")
    root = tmp_path / "web"
    write_pages(root, dist, "ws://127.0.0.1:5280/ws", {"alice@localhost": "</script>'"})
    write_pages(root, dist, "ws://127.0.0.1:5280/ws", {"alice@localhost": "</script>'"})  # again
    page = (root / "alice.html").read_text()
    assert '<script type="module" src="/dist/converse.min.js"></script>' in page
    found = re.search(r"converse\.initialize\((.*)\);", page, re.DOTALL)
    assert found is not None
    options = json.loads(found.group(1))
    assert options == converse_options("ws://127.0.0.1:5280/ws", "alice@localhost", "</script>'")
    assert page.count("</script>") == 2
    assert options["auto_login"] is True and options["view_mode"] == "fullscreen"
    assert options["discover_connection_methods"] is False
    assert (root / "dist").resolve() == dist.resolve()

    server = StaticServer(root).start()
    try:
        with urllib.request.urlopen(f"{server.url}/dist/converse.min.js", timeout=5) as answer:
            assert "javascript" in answer.headers["Content-Type"]
        with urllib.request.urlopen(f"{server.url}/alice.html", timeout=5) as answer:
            assert b"converse.initialize" in answer.read()
    finally:
        server.stop()


def test_the_shop_page_carries_the_snippet_site_show_prints(tmp_path: Path) -> None:
    printed = (
        "site: demo\nname: Demo shop\n"
        'widget: <script src="http://127.0.0.1:8080/widget.js" data-site="demo" async></script>\n'
    )
    snippet = snippet_from_site_show(printed)
    assert snippet == (
        '<script src="http://127.0.0.1:8080/widget.js" data-site="demo" async></script>'
    )
    page = write_shop(tmp_path, snippet, "Tea & <Cups>").read_text()
    assert page.count(snippet) == 1  # the tag itself, once; shown escaped in the footer
    assert "<title>Tea &amp; &lt;Cups&gt;</title>" in page
    assert "&lt;script src=" in page


def test_without_a_public_url_the_shop_says_what_is_missing() -> None:
    printed = "site: demo\nwidget: (set http.public_url in the configuration to get the snippet)\n"
    with pytest.raises(RuntimeError, match="public_url"):
        snippet_from_site_show(printed)


def test_instructions_lead_with_the_shop_page() -> None:
    text = instructions(STACK, PASSWORDS, None, "No console.", "http://127.0.0.1:8000/shop.html")
    assert "be the visitor here): http://127.0.0.1:8000/shop.html" in text
    assert "open the demo shop and write in the chat window" in text
