"""The banner script with an operator's banner in it, and the demo page of a sample site."""

from __future__ import annotations

import json
from functools import cache
from html import escape
from importlib import resources

from derbes.banner.model.config import BannerConfig
from derbes.platform.labels import Lang

__all__ = ["MARKER", "banner_script", "demo_page", "script_source"]

MARKER = "/*DERBES_BANNER*/null"


@cache
def script_source() -> str:
    """The script as shipped, before an operator's banner is put in."""
    return resources.files("derbes.banner.adapters").joinpath("static/banner.js").read_text(
        "utf-8")


def banner_script(config: BannerConfig) -> str:
    data = json.dumps(config.script_data(), ensure_ascii=False, separators=(",", ":"))
    # Nothing in the data can end a <script> block or a JS string in old parsers.
    data = data.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return script_source().replace(MARKER, data, 1)


_DEMO_TEXT = {
    Lang.RU: ("Пример сайта оператора", "Эта страница показывает баннер cookie derbes.",
              "Добавить аналитический скрипт", "Рекламный блок партнёра"),
    Lang.KK: ("Оператор сайтының үлгісі", "Бұл бет derbes cookie баннерін көрсетеді.",
              "Аналитикалық скрипт қосу", "Серіктестің жарнама блогы"),
    Lang.EN: ("A sample operator site", "This page shows the derbes cookie banner.",
              "Add an analytics script", "A partner's advertising block"),
}

# The sample site's own tags, marked with their cookie category; the banner releases
# them only once that category is allowed.
_ANALYTICS = ("window.derbesDemo=window.derbesDemo||{};window.derbesDemo.analytics="
              "(window.derbesDemo.analytics||0)+1;")
_LATE = ("window.derbesDemo=window.derbesDemo||{};window.derbesDemo.late="
         "(window.derbesDemo.late||0)+1;")


def demo_page(operator_id: str, lang: Lang, third_party_url: str) -> str:
    title, intro, add, advert = _DEMO_TEXT[lang]
    op = escape(operator_id)
    late = json.dumps(_LATE)
    return f"""<!doctype html>
<html lang="{lang.value}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title></head>
<body>
<main>
<h1>{escape(title)}</h1>
<p>{escape(intro)}</p>
<p><button type="button" id="add-analytics">{escape(add)}</button></p>
<iframe title="{escape(advert)}" width="300" height="120" data-category="marketing"
 data-src="{escape(third_party_url)}"></iframe>
</main>
<script type="text/plain" data-category="analytics">{_ANALYTICS}</script>
<script>
document.getElementById('add-analytics').addEventListener('click', function () {{
  var s = document.createElement('script');
  s.type = 'text/plain'; s.setAttribute('data-category', 'analytics');
  s.text = {late};
  document.body.appendChild(s);
}});
</script>
<script src="/banner/{op}.js"></script>
</body>
</html>
"""
