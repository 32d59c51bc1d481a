#!/usr/bin/env python3
"""Copy the browser assets derbes serves from ``node_modules/`` into the package.

``make assets`` runs ``npm ci --ignore-scripts`` (versions pinned in
``package.json`` and ``package-lock.json``) and then this script, which copies
only the files the pages load, with each project's licence and notices, into
``src/derbes/api/static/vendor/``. The package directory is what both an
editable install and a wheel serve (``derbes.api.docs``); it is generated, so
git ignores it.

Exit status 1, with what to run, when ``node_modules/`` lacks a file.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "derbes" / "api" / "static" / "vendor"

# (npm package, file inside it, directory under vendor/)
FILES: tuple[tuple[str, str, str], ...] = (
    ("swagger-ui-dist", "swagger-ui-bundle.js", "swagger-ui"),
    ("swagger-ui-dist", "swagger-ui.css", "swagger-ui"),
    ("swagger-ui-dist", "favicon-32x32.png", "swagger-ui"),
    ("swagger-ui-dist", "LICENSE", "swagger-ui"),
    ("swagger-ui-dist", "NOTICE", "swagger-ui"),
    ("swagger-ui-dist", "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui"),
    ("swagger-ui-dist", "package.json", "swagger-ui"),
    ("redoc", "bundles/redoc.standalone.js", "redoc"),
    ("redoc", "bundles/redoc.standalone.js.LICENSE.txt", "redoc"),
    ("redoc", "LICENSE", "redoc"),
    ("redoc", "package.json", "redoc"),
)

# Outside addresses a bundle loads by itself, and what the copy loads instead: derbes
# must work with no internet and tell no third party who reads its documentation.
# ReDoc's sidebar shows Redocly's logo from their CDN (its "API docs by Redocly" link
# stays); an image that does not load is hidden by ReDoc itself. A string that is no
# longer there fails the copy, so a new version is looked at again.
REWRITES: dict[str, tuple[tuple[str, str], ...]] = {
    "redoc/redoc.standalone.js": (("https://cdn.redoc.ly/redoc/logo-mini.svg", "data:,"),),
}


def _rewrite(path: Path, changes: tuple[tuple[str, str], ...]) -> str | None:
    text = path.read_text(encoding="utf-8")
    for old, new in changes:
        if old not in text:
            return f"{path.name} no longer contains {old!r}: check what the new version loads"
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return None


def main() -> int:
    missing = [f"{package}/{name}" for package, name, _ in FILES
               if not (NODE_MODULES / package / name).is_file()]
    if missing:
        print(f"vendor_assets: not in {NODE_MODULES}: {', '.join(missing)}; "
              "run `make assets` (npm ci --ignore-scripts)", file=sys.stderr)
        return 1
    # A clean copy: a file dropped from the list never lingers in a wheel.
    shutil.rmtree(VENDOR, ignore_errors=True)
    for package, name, target in FILES:
        destination = VENDOR / target / Path(name).name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE_MODULES / package / name, destination)
    for name, changes in REWRITES.items():
        problem = _rewrite(VENDOR / name, changes)
        if problem:
            print(f"vendor_assets: {problem}", file=sys.stderr)
            return 1
    print(f"vendor_assets: {len(FILES)} files in {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
