#!/usr/bin/env python3
"""The twin benchmark (make bench), three parts, each printed as a Markdown table:

1. native frame time of the renderer at 100k, 1M and 5M triangles, instanced and not
   (`bench_frames` example, headless Vulkan/GL);
2. per demo building (datasets/district/buildings.toml): the whole `zhishen render`
   process that reviews the model, builds its twin and renders a plan snapshot, next to
   `zhishen check` alone on the same inputs, interleaved, with peak RSS and the GLB size;
3. per demo building: load-to-first-frame of the twin in headless chromium (WebGPU on
   SwiftShader, and WebGL2), driven over WebDriver by chromedriver.

  python3 bench/twin_bench.py --zhishen BIN --frames BIN [--runs 3] [--pkg viewer/pkg]
"""
import argparse, json, os, resource, shutil, socket, statistics, subprocess, sys, tempfile, time, tomllib, urllib.request
import http.server, threading, functools

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DISTRICT = os.path.join(ROOT, "datasets", "district")
FLAGS = ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--enable-features=Vulkan",
         "--use-vulkan=swiftshader", "--use-angle=swiftshader", "--window-size=1400,900"]


def timed(cmd):
    """Wall time and peak RSS (MiB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True)
    dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far: report it only when it grew.
    return dt, r.returncode, (peak if peak > before else None)


def rss_of(cmd):
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    try:
        return int(r.stderr.strip().splitlines()[-1]) / 1024
    except (ValueError, IndexError):
        return float("nan")


def frames(binary, max_tris):
    print("\n### Native frame time (1280×720, headless)\n")
    r = subprocess.run([binary, "--frames", "5", "--max", str(max_tris)], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"bench_frames failed: {r.stderr.strip()}")
        return
    rows = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    if rows:
        print(f"adapter: {rows[0]['adapter']}\n")
    print("| triangles | instanced | draws | upload ms | first frame ms | mean frame ms | fps |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for x in rows:
        fps = 1000.0 / x["mean_frame_ms"] if x["mean_frame_ms"] > 0 else 0
        print(f"| {x['triangles']:,} | {'yes' if x['instanced'] else 'no'} | {x['draws']} | {x['upload_ms']:.0f} | "
              f"{x['first_frame_ms']:.0f} | {x['mean_frame_ms']:.0f} | {fps:.1f} |")


def buildings():
    with open(os.path.join(DISTRICT, "buildings.toml"), "rb") as f:
        return tomllib.load(f)["building"]


def build(zhishen, runs, out):
    print("\n### Twin build: `zhishen render` (review + twin + plan PNG) vs `zhishen check` (review only)\n")
    print("| building | model | check s (median) | render s (median) | twin overhead s | render peak MiB | GLB KiB | triangles |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    glbs = []
    for b in buildings():
        model = os.path.normpath(os.path.join(DISTRICT, b["model"]))
        common = ["--model", model, "--site", DISTRICT, "--parcel", b["parcel"], "--place", b["place"]]
        glb = os.path.join(out, f"{b['id']}.glb")
        check = [zhishen, "check"] + common + ["--use", b["use"], "--format", "json", "--out", os.devnull]
        render = [zhishen, "render"] + common + ["--view", "plan", "--out", os.path.join(out, f"{b['id']}.png"), "--glb-out", glb]
        tc, tr = [], []
        for _ in range(runs):  # interleaved: check, render, check, render …
            tc.append(timed(check)[0])
            dt, code, _ = timed(render)
            if code != 0:
                print(f"| {b['id']} | render failed (exit {code}) | | | | | | |")
                break
            tr.append(dt)
        if not tr:
            continue
        peak = rss_of(render)
        size = os.path.getsize(glb) / 1024
        tris = triangles(glb)
        glbs.append((b["id"], glb))
        mc, mr = statistics.median(tc), statistics.median(tr)
        print(f"| {b['id']} | {os.path.basename(model)} | {mc:.2f} | {mr:.2f} | {mr - mc:.2f} | {peak:.0f} | {size:.0f} | {tris:,} |")
    return glbs


def triangles(glb):
    """Triangles drawn (instances counted) from the GLB's JSON chunk."""
    with open(glb, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[12:16], "little")
    doc = json.loads(data[20:20 + n])
    per_mesh = [doc["accessors"][m["primitives"][0]["indices"]]["count"] // 3 for m in doc.get("meshes", [])]
    return sum(per_mesh[node["mesh"]] for node in doc.get("nodes", []) if "mesh" in node)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def browser(glbs, pkg, runs, out):
    print("\n### Browser: load-to-first-frame in headless chromium (1280×720 canvas)\n")
    if not shutil.which("chromedriver"):
        print("chromedriver not installed (make deps)")
        return
    if not os.path.exists(os.path.join(pkg, "zhishen_render_bg.wasm")):
        print(f"no viewer build at {pkg} (make viewer)")
        return
    site = os.path.join(out, "site")
    shutil.copytree(os.path.join(ROOT, "bench", "twin"), site, dirs_exist_ok=True)
    shutil.copytree(pkg, os.path.join(site, "pkg"), dirs_exist_ok=True)
    for _, g in glbs:
        shutil.copy(g, site)
    handler = functools.partial(Quiet, directory=site)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = free_port()
    drv = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def call(method, path, body=None):
        req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=180).read())

    try:
        for _ in range(50):
            try:
                call("GET", "/status")
                break
            except OSError:
                time.sleep(0.2)
        print("| building | GLB KiB | WebGPU ms (median) | WebGL2 ms (median) |")
        print("|---|---:|---:|---:|")
        for name, g in glbs:
            res = {"0": [], "1": []}
            for _ in range(runs):
                for webgl in ("0", "1"):  # interleaved
                    s = call("POST", "/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": FLAGS}}}})
                    sid = s["value"]["sessionId"]
                    try:
                        call("POST", f"/session/{sid}/url", {"url": f"http://127.0.0.1:{httpd.server_address[1]}/index.html?glb={os.path.basename(g)}&webgl={webgl}"})
                        for _ in range(600):
                            r = call("POST", f"/session/{sid}/execute/sync", {"script": "return document.body.dataset.result || null", "args": []})["value"]
                            if r:
                                r = json.loads(r)
                                if "first_frame_ms" in r:
                                    res[webgl].append(r["first_frame_ms"])
                                else:
                                    print(f"<!-- {name} webgl={webgl}: {r.get('error')} -->")
                                break
                            time.sleep(0.1)
                    finally:
                        call("DELETE", f"/session/{sid}")
            med = lambda v: f"{statistics.median(v):.0f}" if v else "failed"
            print(f"| {name} | {os.path.getsize(g) / 1024:.0f} | {med(res['0'])} | {med(res['1'])} |")
    finally:
        drv.terminate()
        httpd.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zhishen", required=True)
    ap.add_argument("--frames", required=True, help="the bench_frames example binary")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-triangles", type=int, default=5_000_000)
    ap.add_argument("--pkg", default=os.path.join(ROOT, "viewer", "pkg"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        frames(a.frames, a.max_triangles)
        glbs = build(a.zhishen, a.runs, out)
        browser(glbs, a.pkg, a.runs, out)


if __name__ == "__main__":
    main()
