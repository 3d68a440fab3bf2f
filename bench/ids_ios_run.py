#!/usr/bin/env python3
"""IfcOpenShell ifctester peer for bench/ids_bench.py.

Usage: ids_ios_run.py MODEL.ifc SPEC.ids
Prints one JSON line: {"tool": "ifctester", "version": ..., "specs": [{"name", "status"}]}
where status is pass / fail / not_applicable, as zhishen reports them. The whole
process (interpreter start, imports, open, validate) is what the bench times.
"""

import json
import sys

import ifcopenshell
from ifctester import ids


def main() -> int:
    model = ifcopenshell.open(sys.argv[1])
    spec = ids.open(sys.argv[2])
    spec.validate(model)
    out = []
    for s in spec.specifications:
        if not s.is_ifc_version:
            status = "not_applicable"
        else:
            status = "pass" if s.status else "fail"
        out.append({"name": s.name, "status": status})
    print(json.dumps({"tool": "ifctester", "version": ifcopenshell.version, "specs": out}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
