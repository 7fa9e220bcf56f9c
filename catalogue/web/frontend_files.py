"""Copy the front-end files the pages serve from ``node_modules`` into
``catalogue/web/static/vendor`` (gitignored). ``make assets`` runs it after ``npm ci``::

    python -m catalogue.web.frontend_files [--node-modules DIR] [--dest DIR]

GOV.UK Frontend's precompiled CSS loads its fonts and images from ``/assets/``;
those URLs are rewritten to be relative to the copied stylesheet, so nothing has
to be served at ``/assets`` (where the asset pages live). The GDS Transport font
is licensed for GOV.UK services only: its ``@font-face`` rules are dropped and
its files are not copied; ``static/css/council.css`` sets a system font instead.
The crown images are not copied either: this is a council's service.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_NODE_MODULES = REPO / "node_modules"
DEFAULT_DEST = HERE / "static" / "vendor"

#: destination (under vendor/) -> source (under node_modules/)
FILES: dict[str, str] = {
    "govuk/govuk-frontend.min.css": "govuk-frontend/dist/govuk/govuk-frontend.min.css",
    "govuk/govuk-frontend.min.js": "govuk-frontend/dist/govuk/govuk-frontend.min.js",
    "govuk/govuk-frontend.min.js.map": "govuk-frontend/dist/govuk/govuk-frontend.min.js.map",
    "cytoscape/cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
    "cytoscape-dagre/cytoscape-dagre.min.js": "cytoscape-dagre/dist/cytoscape-dagre.min.js",
    "LICENCES.txt": "",  # written below: where each file came from, and its licence
}
PACKAGES = ("govuk-frontend", "cytoscape", "cytoscape-dagre")
_FONT_FACE = re.compile(r"@font-face\{[^}]*GDS Transport[^}]*\}")
_SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/\s*$")


def council_css(css: str) -> str:
    """GOV.UK Frontend's stylesheet without the GDS Transport font faces, with its
    ``/assets/`` URLs made relative to where the stylesheet is served."""
    css = _FONT_FACE.sub("", css)
    css = css.replace("url(/assets/", "url(assets/")
    return _SOURCE_MAP.sub("", css)


def package_version(node_modules: Path, name: str) -> str:
    import json

    manifest = json.loads((node_modules / name / "package.json").read_text(encoding="utf-8"))
    return f"{name} {manifest['version']} ({manifest.get('license', 'see package')})"


def copy_vendor_files(
    node_modules: Path = DEFAULT_NODE_MODULES, dest: Path = DEFAULT_DEST
) -> list[Path]:
    """Copy (and for the CSS, adapt) every file in ``FILES``; returns what was written.

    Raises FileNotFoundError naming the missing file when ``npm ci`` has not run.
    """
    for name in PACKAGES:
        if not (node_modules / name / "package.json").exists():
            raise FileNotFoundError(
                f"{node_modules / name} is missing: run `npm ci` (or `make assets`) first"
            )
    if dest.exists():
        shutil.rmtree(dest)
    written = []
    for target, source in FILES.items():
        path = dest / target
        path.parent.mkdir(parents=True, exist_ok=True)
        if target == "LICENCES.txt":
            lines = [package_version(node_modules, name) for name in PACKAGES]
            path.write_text(
                "Copied from npm by catalogue/web/frontend_files.py:\n" + "\n".join(lines) + "\n"
            )
        elif target.endswith(".css"):
            text = (node_modules / source).read_text(encoding="utf-8")
            path.write_text(council_css(text), encoding="utf-8")
        else:
            shutil.copyfile(node_modules / source, path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=DEFAULT_NODE_MODULES)
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args(argv)
    try:
        written = copy_vendor_files(args.node_modules, args.dest)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"copied {len(written)} front-end files into {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
