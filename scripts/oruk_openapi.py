"""Write the ORUK 3.0 UK-profile OpenAPI document so it loads with no network: `python
scripts/oruk_openapi.py OUT.json [SPEC_DIR]`.

The published openapi.json (../shared/data/openreferral/oruk_3.0_uk-profile/schema/) points its
response schemas at the profile's repository on the web
(https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/…). The same files sit
beside it, so each such `$ref` becomes the local file's file:// address. One more fix: the
`start_time` and `end_time` parameters declare `"type": "time"`, which is not a JSON Schema type
(the document does not load); they become strings. And `GET /service_at_locations/{id}`, which
its own description says returns a "fully nested service_at_location", points at the service
schema (compiled/service.json): it is pointed at compiled/service_at_location.json.
The schema files' own keywords (`constraints`, `core`, `example` as text) are annotations a
validator ignores, and need no change.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REMOTE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
SPEC_UNDER_SHARED = "data/openreferral/oruk_3.0_uk-profile/schema"
# The team's shared data beside the project (../shared), or where the machines keep it (a fresh
# clone somewhere else, as CI makes, has no ../shared).
SHARED_PLACES = (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
DEFAULT_SPEC_DIR = next(
    (place / SPEC_UNDER_SHARED for place in SHARED_PLACES if (place / SPEC_UNDER_SHARED).is_dir()),
    SHARED_PLACES[0] / SPEC_UNDER_SHARED,
)


def localise(node: Any, spec_dir: Path) -> Any:
    """The same document with every remote profile `$ref` pointing at the local file."""
    if isinstance(node, dict):
        found = {key: localise(value, spec_dir) for key, value in node.items()}
        if found.get("type") == "time":
            found["type"] = "string"
        ref = found.get("$ref")
        if isinstance(ref, str) and ref.startswith(REMOTE):
            local = spec_dir / ref.removeprefix(REMOTE)
            if not local.is_file():
                raise SystemExit(f"oruk_openapi: {ref} has no local copy at {local}")
            found["$ref"] = local.as_uri()
        return found
    if isinstance(node, list):
        return [localise(item, spec_dir) for item in node]
    return node


def main() -> int:
    out = Path(sys.argv[1])
    spec_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_SPEC_DIR
    document = json.loads((spec_dir / "openapi.json").read_text(encoding="utf-8"))
    one_place = document["paths"]["/service_at_locations/{id}"]["get"]["responses"]["200"]
    one_place["content"]["application/json"]["schema"] = {
        "$ref": f"{REMOTE}compiled/service_at_location.json"
    }
    out.write_text(json.dumps(localise(document, spec_dir), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
