"""The floor: what merely reading the suite's data costs, in a fresh process.

    python -m benchmarks.floor live URL REQUESTS.json   # replay these GETs, json.loads each body
    python -m benchmarks.floor offline DIR              # json.loads every file of a snapshot

Imports nothing but the standard library and urllib3 (which the suite's
client uses too). The caller times the whole process, start-up included,
exactly as it times the suite.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote


def encoded(logged: str) -> str:
    """A path from the fake server's log (percent-decoded) as it goes on the wire again."""
    path, _, query = logged.partition("?")
    if not query:
        return quote(path)
    pairs = (part.partition("=") for part in query.split("&"))
    return quote(path) + "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, _, v in pairs)


def live(url: str, requests: list[str]) -> int:
    import urllib3

    pool = urllib3.PoolManager(maxsize=1, timeout=urllib3.Timeout(connect=5, read=60), retries=False)
    headers = {"Authorization": "Bearer fake-token", "Accept": "application/json"}
    read = 0
    for path in requests:
        resp = pool.request("GET", url + encoded(path), headers=headers)
        body = resp.data
        read += len(body)
        if resp.headers.get("Content-Type", "").startswith("application/json"):
            json.loads(body)
        else:
            body.decode("utf-8", "replace").splitlines()
    return read


def offline(root: Path) -> int:
    read = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        read += len(data)
        if path.suffix == ".json":
            json.loads(data)
        else:
            data.decode("utf-8", "replace").splitlines()
    return read


def main(argv: list[str]) -> None:
    if argv[:1] == ["live"] and len(argv) == 3:
        read = live(argv[1], json.loads(Path(argv[2]).read_text()))
    elif argv[:1] == ["offline"] and len(argv) == 2:
        read = offline(Path(argv[1]))
    else:
        raise SystemExit(__doc__)
    print(read)


if __name__ == "__main__":
    main(sys.argv[1:])
