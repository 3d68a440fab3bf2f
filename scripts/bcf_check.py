#!/usr/bin/env python3
"""Reads a BCF file with IfcOpenShell's `bcf` package (PyPI `bcf-client`) and prints what it
found as JSON, so that zhishen's tests can check that a real BCF reader accepts its output.

Usage: scripts/bcf_check.py FILE.bcf

Run with any Python 3.10+: when the pinned bcf-client is not importable here, the script
creates bench/.venv-bcf (python3 -m venv, pip install of the pins below) and re-runs itself
there. Exit 0 with JSON on stdout; exit 1 with a message on stderr when the file cannot be
read; exit 2 when the venv cannot be set up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Pins: bcf-client 0.9.0 is the release that ifctester 0.9 uses; it imports ifcopenshell (pinned
# as in bench/requirements.txt) and parses the XML with xsdata.
PINS = ["bcf-client==0.9.0", "ifcopenshell==0.9.0.post1", "xsdata==26.10"]
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / ".venv-bcf"
VENV_PY = VENV / "bin" / "python"


def have_pinned_bcf() -> bool:
    try:
        from importlib.metadata import version

        import bcf.bcfxml  # noqa: F401
    except Exception:
        return False
    want = PINS[0].split("==")[1]
    try:
        return version("bcf-client") == want
    except Exception:
        return False


def ensure_venv() -> None:
    """Creates the venv and installs the pins; exits 2 with the pip output on failure."""
    if not VENV_PY.exists():
        r = subprocess.run([sys.executable, "-m", "venv", str(VENV)], capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(
                f"bcf_check: cannot create {VENV} (is python3-venv installed? scripts/deps.sh "
                f"installs it):\n{r.stdout}{r.stderr}"
            )
            sys.exit(2)
    ignore_venv()
    r = subprocess.run(
        [str(VENV_PY), "-m", "pip", "install", "--disable-pip-version-check", "-q", *PINS],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        sys.stderr.write(f"bcf_check: pip install {' '.join(PINS)} failed:\n{r.stdout}{r.stderr}")
        sys.exit(2)


def ignore_venv() -> None:
    """Keeps the venv out of git without touching the shared .gitignore."""
    gi = VENV / ".gitignore"
    if VENV.is_dir() and not gi.exists():
        gi.write_text("*\n")


def xyz(p) -> list[float]:
    return [float(p.x), float(p.y), float(p.z)]


def read(path: Path) -> dict:
    from bcf import bcfxml

    doc = bcfxml.load(path)
    if doc is None:
        raise ValueError("bcf.bcfxml.load returned nothing")
    topics = []
    for guid, handler in sorted(doc.topics.items()):
        t = handler.topic
        viewpoints = []
        for name, vp in sorted(handler.viewpoints.items()):
            vi = vp.visualization_info
            cam = vi.perspective_camera
            viewpoints.append(
                {
                    "file": name,
                    "guid": vi.guid,
                    "selected": vp.get_selected_guids() or [],
                    "default_visibility": (
                        vi.components.visibility.default_visibility if vi.components else None
                    ),
                    "camera": (
                        {
                            "position": xyz(cam.camera_view_point),
                            "direction": xyz(cam.camera_direction),
                            "up": xyz(cam.camera_up_vector),
                            "field_of_view": float(cam.field_of_view),
                        }
                        if cam is not None
                        else None
                    ),
                }
            )
        topics.append(
            {
                "folder": guid,
                "guid": t.guid,
                "title": t.title,
                "type": t.topic_type,
                "status": t.topic_status,
                "labels": list(t.labels),
                "creation_date": str(t.creation_date),
                "creation_author": t.creation_author,
                "description": t.description,
                "viewpoints": viewpoints,
            }
        )
    return {"version": doc.version.version_id, "topics": topics}


def main() -> None:
    if len(sys.argv) != 2:
        sys.stderr.write("usage: scripts/bcf_check.py FILE.bcf\n")
        sys.exit(2)
    if not have_pinned_bcf():
        # sys.prefix, not sys.executable: a venv's python is a symlink to the base interpreter.
        if Path(sys.prefix).resolve() != VENV.resolve():
            if not VENV_PY.exists():
                ensure_venv()
            ignore_venv()
            os.execv(str(VENV_PY), [str(VENV_PY), str(Path(__file__).resolve()), *sys.argv[1:]])
        ensure_venv()
        if not have_pinned_bcf():
            sys.stderr.write(f"bcf_check: {PINS[0]} still not importable in {sys.executable}\n")
            sys.exit(2)
    path = Path(sys.argv[1])
    try:
        out = read(path)
    except Exception as e:  # any reader error means the file is not usable BCF
        sys.stderr.write(f"bcf_check: {path}: {type(e).__name__}: {e}\n")
        sys.exit(1)
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
