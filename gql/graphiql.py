"""The GraphiQL page: every script and style from this server, pinned by Subresource Integrity.

Strawberry's page loads React and GraphiQL from a public CDN and is blank on a closed
network. This one lists the files of `gql/static/vendor.lock.json` (fetched by
`gql.vendor`) by relative URL, so it also works behind a path prefix; when they are not
installed it says which command installs them instead of rendering nothing.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

from gql import vendor

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Chameleon GraphiQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
{styles}
<link rel="stylesheet" href="static/graphiql/graphiql.css">
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
{scripts}
<script src="static/graphiql/start.js"></script>
</body>
</html>
"""

_MISSING = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>GraphiQL is not installed</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:4rem auto;padding:0 1rem}}
code{{background:#f2f2f2;padding:.1rem .3rem;border-radius:3px}}</style></head>
<body>
<h1>GraphiQL's files are not installed</h1>
<p>This server serves GraphiQL from its own files so that it works without internet
access, and {count} of them are missing. Install them (from the npm registry, hashes
checked against <code>gql/static/vendor.lock.json</code>) in the project's checkout with</p>
<p><code>{command}</code></p>
<p>then reload this page. The API itself works: POST GraphQL requests to this URL.</p>
<ul>{files}</ul>
</body>
</html>
"""


@cache
def _page() -> str:
    """Built once per process: the lock and the files do not change while it runs."""
    styles, scripts = [], []
    for asset in vendor.assets():
        url = html.escape(f"static/{asset.url_path}")
        if asset.path.endswith(".css"):
            styles.append(f'<link rel="stylesheet" href="{url}" integrity="{asset.integrity}">')
        else:
            scripts.append(f'<script src="{url}" integrity="{asset.integrity}"></script>')
    return _PAGE.format(styles="\n".join(styles), scripts="\n".join(scripts))


def page(root: Path = vendor.STATIC) -> tuple[int, str]:
    """(status, HTML): the IDE, or 503 with the install command while its files are missing."""
    absent = vendor.missing(root)
    if absent:
        files = "".join(f"<li><code>{html.escape(a.url_path)}</code></li>" for a in absent)
        body = _MISSING.format(
            count=len(absent), command=html.escape(vendor.FETCH_COMMAND), files=files
        )
        return 503, body
    return 200, _page()
