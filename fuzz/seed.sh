#!/usr/bin/env bash
# Builds the seed corpora fuzz/corpus/{reader,scan}/ (git-ignored) from the shared
# IFC samples, the hand-written seeds in fuzz/seeds/ and truncated/mutated variants.
# Idempotent: re-running refreshes seed_* files and keeps whatever libFuzzer added.
#
#   bash fuzz/seed.sh [SAMPLES_DIR]     # default /work/shared/samples/ifc
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
samples="${1:-/work/shared/samples/ifc}"
[ -d "$samples" ] || { echo "seed.sh: no samples dir $samples" >&2; exit 1; }
mkdir -p "$here/corpus/reader" "$here/corpus/scan"
rm -f "$here"/corpus/reader/seed_* "$here"/corpus/scan/seed_*

python3 - "$samples" "$here" <<'PY'
import glob, os, re, sys

samples, here = sys.argv[1], sys.argv[2]
out = {t: os.path.join(here, "corpus", t) for t in ("reader", "scan")}
SMALL = 262_144            # reader: whole files only up to this size (= -max_len)
PREFIX = 65_536            # reader: big files contribute a prefix of this size

def put(targets, name, data):
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    for t in targets:
        with open(os.path.join(out[t], "seed_" + name), "wb") as f:
            f.write(data)

def cut_at_line(b, n):
    i = b.rfind(b"\n", 0, n)
    return b[: i + 1] if i > 0 else b[:n]

files = sorted(glob.glob(os.path.join(samples, "*.ifc")) + glob.glob(os.path.join(samples, "edge", "*.ifc")))
files += sorted(glob.glob(os.path.join(here, "seeds", "*.ifc")))
small = []
for path in files:
    b = open(path, "rb").read()
    stem = os.path.splitext(os.path.basename(path))[0]
    if len(b) <= SMALL:
        put(("reader", "scan"), stem + ".ifc", b)
        small.append((stem, b))
    else:
        put(("scan",), stem + ".ifc", b)
        # A well-formed prefix: complete records, then closed sections.
        pre = cut_at_line(b, PREFIX)
        put(("reader", "scan"), stem + "_prefix.ifc", pre + b"ENDSEC;\nEND-ISO-10303-21;\n")
        put(("reader", "scan"), stem + "_prefix_raw.ifc", b[:PREFIX])

# Truncations of every small file: header only, mid-record cuts, closed cuts, no trailer.
for stem, b in small:
    d = b.find(b"DATA;")
    if d > 0:
        put(("reader", "scan"), stem + "_headeronly.ifc", b[: d + 5])
    for frac in (0.33, 0.5, 0.9):
        put(("reader", "scan"), f"{stem}_cut{int(frac*100)}.ifc", b[: int(len(b) * frac)])
        # Same cut at a line boundary, sections closed: well-formed, but with dangling references.
        if d > 0 and int(len(b) * frac) > d + 6:
            put(("reader", "scan"), f"{stem}_cut{int(frac*100)}_closed.ifc",
                cut_at_line(b, int(len(b) * frac)) + b"ENDSEC;\nEND-ISO-10303-21;\n")
    e = b.rfind(b"END-ISO-10303-21;")
    if e > 0:
        put(("reader", "scan"), stem + "_notrailer.ifc", b[:e])

# Mutations of the hand-written minimal model (and IfcOpenHouse where noted).
mini = open(os.path.join(here, "seeds", "mini_ifc4.ifc"), "rb").read()
def sub(b, old, new, count=1):
    assert old in b, old
    return b.replace(old, new, count)

muts = {
    "schema_ifc2x3": sub(mini, b"'IFC4'", b"'IFC2X3'"),
    "schema_ifc4x3": sub(mini, b"'IFC4'", b"'IFC4X3_ADD2'"),
    "schema_unknown": sub(mini, b"'IFC4'", b"'IFC9'"),
    "schema_empty": sub(mini, b"(('IFC4'))", b"(())"),
    "big_id": sub(mini, b"#35=", b"#4294967335=").replace(b"(#35)", b"(#4294967335)"),
    "huge_id": sub(mini, b"#45=", b"#99999999999999999999="),
    "dangling": sub(mini, b"(#31)", b"(#9999)"),
    "self_ref": sub(mini, b"#22=IFCLOCALPLACEMENT(#20,", b"#22=IFCLOCALPLACEMENT(#22,"),
    "placement_cycle": sub(sub(mini, b"#22=IFCLOCALPLACEMENT(#20,", b"#22=IFCLOCALPLACEMENT(#24,"),
                           b"#24=IFCLOCALPLACEMENT(#22,", b"#24=IFCLOCALPLACEMENT(#22,"),
    "dup_id": sub(mini, b"#49=", b"#45="),
    "two_projects": sub(mini, b"ENDSEC;\nEND", b"#50=IFCPROJECT('9YvctVUKr0kugbFTf53O9L',$,'Q',$,$,$,$,(#10),#5);\nENDSEC;\nEND"),
    "no_project": sub(mini, b"#1=IFCPROJECT", b"#1=IFCPROJECTX"),
    "nul_byte": sub(mini, b"'W1'", b"'W\x001'"),
    "bad_utf8": sub(mini, b"'W1'", b"'W\xff\xfe1'"),
    "latin1_name": sub(mini, b"'R1'", b"'Raum K\xfcche'"),
    "escapes": sub(mini, b"'R1'", b"'\\X2\\00E4\\X0\\\\S\\d\\X\\FC\\PA\\ \\X4\\0001F600\\X0\\ '' \\\\'"),
    "crlf": mini.replace(b"\n", b"\r\n"),
    "bom": b"\xef\xbb\xbf" + mini,
    "comments": sub(mini, b"DATA;\n", b"DATA;\n/* comment ; with #1=IFCWALL( */\n"),
    "unterminated_comment": sub(mini, b"DATA;\n", b"DATA;\n/* never closed\n"),
    "unterminated_string": sub(mini, b"'W1'", b"'W1"),
    "deep_nesting": sub(mini, b"(#37)", b"(" * 200 + b"#37" + b")" * 200),
    "extreme_numbers": sub(sub(mini, b"5.,0.3)", b"1.E308,-0.)"), b"#7,3.)", b"#7,1.E-320)"),
    "nan_like": sub(mini, b"#7,2.5)", b"#7,1.E999)"),
    "zero_direction": sub(mini, b"IFCDIRECTION((0.,0.,1.))", b"IFCDIRECTION((0.,0.,0.))"),
    "wrong_types": sub(mini, b"#31=IFCEXTRUDEDAREASOLID(#30,", b"#31=IFCEXTRUDEDAREASOLID(#8,"),
    "missing_attrs": sub(mini, b"IFCEXTRUDEDAREASOLID(#30,#9,#7,3.)", b"IFCEXTRUDEDAREASOLID()"),
    "typed_values": sub(mini, b"IFCBOOLEAN(.T.)", b"IFCLABEL(IFCREAL((1.,2.,$,*,.X.,#1)))"),
    "mapconv_scale0": sub(mini, b"1.,0.,$)", b"0.,0.,0.)"),
    "header_garbage": sub(mini, b"FILE_SCHEMA(('IFC4'));", b"FILE_SCHEMA(('IFC4'));\nFILE_NAME(((((;\nX('\\X2\\D800\\X0\\');"),
    "no_header_endsec": sub(mini, b"ENDSEC;\nDATA;", b"DATA;"),
    "magic_only": b"ISO-10303-21;",
    "magic_ws": b"  \n\tISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\nENDSEC;\nEND-ISO-10303-21;\n",
    "empty_data": sub(mini, mini[mini.find(b"DATA;\n") + 6 : mini.rfind(b"ENDSEC;")], b""),
}
for name, b in muts.items():
    put(("reader", "scan"), "mini_" + name + ".ifc", b)

# Byte flips at a few fixed positions of the minimal model.
for i, pos in enumerate((0, 14, 100, 400, 900, 1500, 2400)):
    if pos < len(mini):
        b = bytearray(mini)
        b[pos] ^= 0x20
        put(("reader", "scan"), f"mini_flip{i}.ifc", bytes(b))
PY

for t in reader scan; do
  printf '%s: %s files, %s bytes\n' "$t" "$(ls "$here/corpus/$t" | wc -l)" "$(du -sb "$here/corpus/$t" | cut -f1)"
done
