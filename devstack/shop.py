"""The demo's shop: a small web page with the HelperChat widget on it (stdlib only).

`write_shop` writes `shop.html` with the widget's `<script>` tag as `helperchat site show` prints
it, so a newcomer can be the site's visitor in one browser tab and its operator in another.
The page is served from another origin than HelperChat's API, as a real site would be.
"""

import html
from pathlib import Path

SHOP_PAGE = "shop.html"

_PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{name}</title>
<style>
  body {{ margin: 0; font: 16px/1.5 Georgia, serif; color: #2b2b2b; background: #faf7f2; }}
  header {{ padding: 1.2rem 2rem; background: #3a2e25; color: #faf7f2; }}
  header h1 {{ margin: 0; font-size: 1.6rem; }}
  nav a {{ color: #f0c987; margin-right: 1rem; }}
  main {{ max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
  .products {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr));
               gap: 1.2rem; }}
  .product {{ background: #fff; border: 1px solid #e4dccf; border-radius: 8px; padding: 1rem; }}
  .product b {{ display: block; font-size: 1.1rem; }}
  .price {{ color: #8a4b16; font-weight: bold; }}
  footer {{ max-width: 60rem; margin: 3rem auto; padding: 0 1rem; color: #776; font-size: .9rem; }}
  footer code {{ word-break: break-all; }}
</style>
</head>
<body>
<header>
  <h1>{name}</h1>
  <nav><a href="#teas">Teas</a><a href="#cups">Cups</a><a href="#checkout">Checkout</a></nav>
</header>
<main>
  <p>Fine teas and the cups to drink them from. Questions? The chat button in the corner reaches
  our operators, who answer from their Jabber clients.</p>
  <div class="products" id="teas">
    <div class="product"><b>Darjeeling First Flush</b>Light and floral.
      <div class="price">&euro;12.50</div></div>
    <div class="product"><b>Assam Breakfast</b>Malty, strong, with milk.
      <div class="price">&euro;8.90</div></div>
    <div class="product"><b>Gyokuro</b>Shaded green tea from Japan.
      <div class="price">&euro;24.00</div></div>
    <div class="product" id="cups"><b>Porcelain cup</b>Thin walls, 180 ml.
      <div class="price">&euro;15.00</div></div>
  </div>
  <h2 id="checkout">Checkout</h2>
  <p>This is a demo: nothing is sold here.</p>
</main>
<footer>A HelperChat demo page. The widget below is the one line a site adds:<br>
  <code>{snippet_text}</code></footer>
{snippet}
</body>
</html>
"""


def snippet_from_site_show(printed: str) -> str:
    """The widget line of `helperchat site show SLUG` (the snippet a site owner copies)."""
    for line in printed.splitlines():
        if line.startswith("widget: <script"):
            return line.removeprefix("widget: ")
    raise RuntimeError("site show printed no widget snippet (is http.public_url set?)")


def write_shop(root: Path, snippet: str, name: str) -> Path:
    """`root/shop.html`: the demo shop of `name` with the widget's `snippet` on it."""
    root.mkdir(parents=True, exist_ok=True)
    page = _PAGE.format(name=html.escape(name), snippet=snippet, snippet_text=html.escape(snippet))
    path = root / SHOP_PAGE
    path.write_text(page)
    return path
