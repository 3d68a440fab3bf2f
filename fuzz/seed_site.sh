#!/usr/bin/env bash
# Builds the seed corpus fuzz/corpus/site/ (git-ignored) for the `site` target from the
# demo district (datasets/district), in the target's layout: first byte = mode (0 GeoJSON,
# 1 Shapefile with u16 LE .shp/.shx lengths, 2 site.toml, 3 DXF), then the file bytes;
# plus cuts at 50 % of each. Idempotent: refreshes seed_* and keeps what libFuzzer added.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
district="$here/../datasets/district"
mkdir -p "$here/corpus/site"
rm -f "$here"/corpus/site/seed_*
python3 - "$district" "$here/corpus/site" <<'PY'
import glob, os, struct, sys
district, out = sys.argv[1], sys.argv[2]
def put(name, mode, data):
    for tag, d in (("", data), ("_cut50", data[: len(data) // 2])):
        with open(os.path.join(out, "seed_%s%s" % (name, tag)), "wb") as f:
            f.write(bytes([mode]) + d)
for p in sorted(glob.glob(os.path.join(district, "*.geojson"))):
    put(os.path.basename(p), 0, open(p, "rb").read())
shp, shx, dbf = (open(os.path.join(district, "road_red_line." + e), "rb").read() for e in ("shp", "shx", "dbf"))
put("road_red_line_shp", 1, struct.pack("<HH", len(shp), len(shx)) + shp + shx + dbf)
put("site.toml", 2, open(os.path.join(district, "site.toml"), "rb").read())
put("purple_line.dxf", 3, open(os.path.join(district, "purple_line.dxf"), "rb").read())
PY
ls "$here/corpus/site" | wc -l
