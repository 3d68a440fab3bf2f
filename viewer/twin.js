// zhishen 智审 — the digital twin viewer's shell (三维孪生查看器外壳).
//
// Plain DOM around the wasm renderer (crates/render, built by `make viewer` into pkg/):
// toolbar, layer switches, storeys, findings, the property panel, pointer input and
// links. The renderer draws, picks and animates; this file turns input into its calls
// and its answers into DOM. No framework and no inline script or style (the page's CSP
// forbids both); every text goes in as textContent, never as HTML.
//
// The view can be shared: the URL fragment `#cam=<camera state>&sel=<GlobalId>&f=<N>`
// is applied on load and written by "copy link" (selection and findings keep `sel` and
// `f` current). The WebGPU renderer falls back to WebGL2 when the browser has no
// WebGPU, when `?webgl=1` asks for it, or when creating it on WebGPU fails.
//
// For tests: `body[data-twin-ready="1"]` after the first frame, `data-twin-backend`,
// `data-twin-error`, and the viewer as `window.zhishenTwin`.
"use strict";

// [Chinese, English]; the page's language comes first, the other is a tooltip or a
// muted note beside it.
const LABELS = {
  loading: ["正在加载三维孪生…", "Loading the twin…"],
  failed: ["三维孪生加载失败", "The twin could not be loaded"],
  notBuilt: ["三维查看器未构建，请运行 make viewer", "viewer not built — run make viewer"],
  measured: ["实测", "measured"],
  limit: ["限值", "limit"],
  pickFirst: ["测距：点击第一点", "Measure: click the first point"],
  pickSecond: ["测距：点击第二点", "Measure: click the second point"],
  noHit: ["未点中模型", "Nothing under the pointer"],
  horizontal: ["水平", "horizontal"],
  vertical: ["高差", "vertical"],
  copied: ["链接已复制", "Link copied"],
  copyDenied: ["无法写入剪贴板，请手动复制下方链接", "Clipboard not available: copy the link below"],
  badLink: ["链接中的视角无法识别", "The view in the link was not understood"],
  section: ["剖切高度", "Section height"],
  elevation: ["高程", "elevation"],
  none: ["—", "—"],
};

const EN = document.documentElement.lang.toLowerCase().startsWith("en");
const t = (k) => LABELS[k][EN ? 1 : 0];
const other = (k) => LABELS[k][EN ? 0 : 1];
/** A bilingual pair from data: [shown, the other]. */
const pair = (zh, en) => (EN ? [en || zh, zh] : [zh || en, en]);

const $ = (id) => document.getElementById(id);
const root = $("twin");
const stage = $("twin-stage");
const statusEl = $("twin-status");
let canvas = $("twin-canvas");

/** Moves under the pointer (CSS px) before a press counts as a drag, not a click. */
const CLICK_SLOP = 4;

function message(e) {
  return e instanceof Error ? e.message : String(e);
}

/** Shows a failure in the page, Chinese and English, and for tests in the body's data. */
function showError(detail) {
  const text = `${LABELS.failed[0]} ${LABELS.failed[1]}: ${detail}`;
  document.body.dataset.twinError = detail;
  const el = $("twin-error");
  el.textContent = text;
  el.hidden = false;
  statusEl.hidden = true;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** `shown` with the other language in a muted span. */
function bilingual(parent, shown, alt) {
  parent.append(el("span", "", shown));
  if (alt && alt !== shown) parent.append(el("span", "alt", alt));
}

/** The canvas's size in device pixels (its backing store). */
function backingSize(c) {
  const r = c.getBoundingClientRect();
  const d = window.devicePixelRatio || 1;
  return [Math.max(1, Math.round(r.width * d)), Math.max(1, Math.round(r.height * d))];
}

/** A pointer event's position in canvas device pixels. */
function devicePoint(e) {
  const r = canvas.getBoundingClientRect();
  return [
    ((e.clientX - r.left) * canvas.width) / Math.max(1, r.width),
    ((e.clientY - r.top) * canvas.height) / Math.max(1, r.height),
  ];
}

/** A new canvas in place of the old: a canvas keeps the first kind of context it gave. */
function freshCanvas() {
  const c = canvas.cloneNode(false);
  canvas.replaceWith(c);
  canvas = c;
  [c.width, c.height] = backingSize(c);
  return c;
}

async function loadRenderer() {
  try {
    const mod = await import("./zhishen_render.js");
    await mod.default();
    return mod;
  } catch (e) {
    showError(`${LABELS.notBuilt[0]} / ${LABELS.notBuilt[1]} (${message(e)})`);
    return null;
  }
}

async function loadScene() {
  try {
    const r = await fetch(root.dataset.glb, { credentials: "same-origin" });
    if (!r.ok) {
      let detail = r.statusText;
      try {
        detail = (await r.json()).detail || detail;
      } catch (_) {
        /* not problem+json */
      }
      throw new Error(`HTTP ${r.status}: ${detail}`);
    }
    return new Uint8Array(await r.arrayBuffer());
  } catch (e) {
    showError(message(e));
    return null;
  }
}

/** WebGPU when there is one and it works, WebGL2 otherwise. */
async function createViewer(Viewer, bytes) {
  const asked = new URLSearchParams(window.location.search).get("webgl") === "1";
  const webgl = asked || !navigator.gpu;
  [canvas.width, canvas.height] = backingSize(canvas);
  try {
    return await Viewer.create(canvas, bytes, webgl);
  } catch (e) {
    if (webgl) {
      showError(`WebGL2: ${message(e)}`);
      return null;
    }
    console.warn("twin: WebGPU failed, falling back to WebGL2:", e);
    try {
      return await Viewer.create(freshCanvas(), bytes, true);
    } catch (e2) {
      showError(`WebGPU: ${message(e)}; WebGL2: ${message(e2)}`);
      return null;
    }
  }
}

/** Everything after the viewer exists. */
class Shell {
  constructor(v) {
    this.v = v;
    this.meta = JSON.parse(v.meta());
    this.layers = JSON.parse(v.layers());
    this.pending = false;
    this.ready = false;
    this.finding = 0;
    this.measure = { on: false, a: null, b: null };
    this.drag = { id: null };
  }

  /** Asks for a frame (one per animation frame, however often it is asked). */
  redraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => this.frame());
  }

  frame() {
    this.pending = false;
    let drawn;
    try {
      drawn = this.v.render();
    } catch (e) {
      showError(message(e));
      return;
    }
    if (!drawn) {
      // The canvas had no frame to give (resized, lost): try again next frame.
      this.redraw();
      return;
    }
    if (!this.ready) {
      this.ready = true;
      statusEl.hidden = true;
      document.body.dataset.twinReady = "1";
    }
    if (this.v.needs_redraw()) this.redraw();
  }

  start() {
    document.body.dataset.twinBackend = this.v.backend();
    this.toolbar();
    this.layerList();
    this.storeys();
    this.findings();
    this.pointer();
    new ResizeObserver(() => this.resize()).observe(canvas);
    window.addEventListener("hashchange", () => this.applyFragment());
    this.applyFragment();
    this.redraw();
  }

  resize() {
    const [w, h] = backingSize(canvas);
    if (w === canvas.width && h === canvas.height) return;
    canvas.width = w;
    canvas.height = h;
    this.v.resize(w, h);
    this.redraw();
  }

  // ------------------------------------------------------------------ toolbar

  /** A toggle button: aria-pressed mirrors its state; `on(state)` applies it. */
  toggle(id, on) {
    const b = $(id);
    b.addEventListener("click", () => {
      const state = b.getAttribute("aria-pressed") !== "true";
      b.setAttribute("aria-pressed", String(state));
      on(state);
      this.redraw();
    });
    return b;
  }

  toolbar() {
    const v = this.v;
    this.toggle("twin-plan", (s) => v.set_plan(s));
    this.toggle("twin-xray", (s) => v.set_xray(s));
    $("twin-fit-all").addEventListener("click", () => {
      v.fit_all();
      this.redraw();
    });
    $("twin-fit-sel").addEventListener("click", () => {
      v.fit_selection();
      this.redraw();
    });
    this.sectionTools();
    this.toggle("twin-measure", (s) => this.setMeasuring(s));
    $("twin-copy").addEventListener("click", () => this.copyLink());
  }

  /** The section plane's slider: metres above the scene's origin (the ground), over the
   * storeys' levels with room above; the plane itself is at site elevation origin + h. */
  sectionTools() {
    const slider = $("twin-section-h");
    const out = $("twin-section-out");
    const base = this.meta.origin[2];
    const zs = this.meta.storeys.map((s) => s.elevation_m).filter(Number.isFinite);
    slider.min = String(Math.floor(Math.min(0, ...zs) - 1));
    slider.max = String(Math.ceil(Math.max(30, ...zs.map((z) => z + 6))));
    slider.value = String(zs.length ? Math.max(...zs) + 1.5 : 3);
    const height = () => Number(slider.value);
    const show = () => {
      out.textContent = `${t("section")} ${height().toFixed(1)} m`;
      out.title = `${other("section")} · ${t("elevation")} ${(base + height()).toFixed(2)} m`;
    };
    show();
    let on = false;
    this.toggle("twin-section", (s) => {
      on = s;
      slider.disabled = !s;
      this.v.set_section(s, base + height());
    });
    slider.addEventListener("input", () => {
      show();
      if (on) {
        this.v.set_section(true, base + height());
        this.redraw();
      }
    });
  }

  setMeasuring(on) {
    const m = this.measure;
    m.on = on;
    m.a = m.b = null;
    this.v.clear_measure();
    const out = $("twin-distance");
    out.textContent = on ? t("pickFirst") : "";
    out.title = on ? other("pickFirst") : "";
    canvas.classList.toggle("measuring", on);
  }

  /** One click of the measure mode: first point, second point (distance), again. */
  measureAt(x, y) {
    const m = this.measure;
    const out = $("twin-distance");
    const p = this.v.pick_point(x, y);
    if (p.length !== 3) {
      out.textContent = t("noHit");
      out.title = other("noHit");
      return;
    }
    if (!m.a || m.b) {
      m.a = Array.from(p);
      m.b = null;
      this.v.clear_measure();
      out.textContent = t("pickSecond");
      out.title = other("pickSecond");
    } else {
      m.b = Array.from(p);
      this.v.set_measure(...m.a, ...m.b);
      const [de, dn, dz] = [0, 1, 2].map((k) => m.b[k] - m.a[k]);
      const d = Math.hypot(de, dn, dz);
      out.textContent = `${d.toFixed(2)} m (${t("horizontal")} ${Math.hypot(de, dn).toFixed(2)} m, ${t("vertical")} ${Math.abs(dz).toFixed(2)} m)`;
      out.title = `${other("horizontal")} / ${other("vertical")}`;
      out.dataset.metres = d.toFixed(2);
    }
    this.redraw();
  }

  // ------------------------------------------------------------------- panels

  layerList() {
    const ul = $("twin-layers");
    for (const l of this.layers) {
      const li = el("li");
      const label = el("label", "twin-inline");
      const box = el("input");
      box.type = "checkbox";
      box.checked = true;
      box.dataset.layer = l.name;
      box.addEventListener("change", () => {
        this.v.set_layer(l.name, box.checked);
        this.redraw();
      });
      label.append(box);
      const [shown, alt] = pair(l.zh, l.en);
      bilingual(label, shown, alt);
      label.append(el("span", "count", String(l.count)));
      li.append(label);
      ul.append(li);
    }
  }

  storeyName(gid) {
    const s = this.meta.storeys.find((x) => x.global_id === gid);
    return s ? s.name || s.global_id : gid;
  }

  storeys() {
    const sel = $("twin-storey");
    const iso = $("twin-isolate");
    for (const s of this.meta.storeys) {
      const z = Number.isFinite(s.elevation_m) ? ` (${s.elevation_m.toFixed(2)} m)` : "";
      const o = el("option", "", `${s.name || s.global_id}${z}`);
      o.value = s.global_id;
      sel.append(o);
    }
    const apply = () => {
      this.v.set_storey(sel.value, iso.checked);
      this.redraw();
    };
    sel.addEventListener("change", apply);
    iso.addEventListener("change", apply);
    if (!this.meta.storeys.length) sel.disabled = iso.disabled = true;
  }

  findings() {
    const ol = $("twin-findings");
    $("twin-no-findings").hidden = this.meta.findings.length > 0;
    for (const f of this.meta.findings) {
      const li = el("li");
      const b = el("button", `twin-finding mark-${f.mark}`);
      b.type = "button";
      b.dataset.n = String(f.number);
      b.append(el("span", "num", `#${f.number}`), el("span", "swatch"));
      const [shown, alt] = pair(f.title_zh, f.title_en);
      bilingual(b, shown, alt);
      b.append(el("span", "values", valuesText(f)));
      const [why] = pair(f.explanation_zh, f.explanation_en);
      b.title = why;
      b.addEventListener("click", () => this.goToFinding(f.number, true));
      li.append(b);
      ol.append(li);
    }
  }

  /** Marks finding `n` in the list (and flies to it). */
  goToFinding(n, fly) {
    if (!this.meta.findings.some((f) => f.number === n)) return;
    this.finding = n;
    for (const b of document.querySelectorAll("#twin-findings button")) {
      if (Number(b.dataset.n) === n) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    }
    if (fly) this.v.fly_to_finding(n);
    this.keepFragment();
    this.redraw();
  }

  /** The property panel of node `n` (-1: empty). */
  showNode(n) {
    const dl = $("twin-props");
    const psets = $("twin-psets");
    $("twin-props-empty").hidden = n >= 0;
    dl.hidden = psets.hidden = n < 0;
    if (n < 0) return;
    const info = JSON.parse(this.v.node_info(n));
    const dash = t("none");
    $("prop-class").textContent = info.class || dash;
    $("prop-name").textContent = info.name || dash;
    $("prop-storey").textContent = info.storey ? this.storeyName(info.storey) : dash;
    $("prop-gid").textContent = info.global_id || dash;
    const layer = this.layers.find((l) => l.name === info.layer);
    const lp = $("prop-layer");
    lp.replaceChildren();
    if (layer) bilingual(lp, ...pair(layer.zh, layer.en));
    else lp.textContent = info.layer || dash;
    const fp = $("prop-findings");
    fp.replaceChildren();
    for (const k of info.findings || []) {
      const b = el("button", "linkish", `#${k}`);
      b.type = "button";
      b.addEventListener("click", () => this.goToFinding(k, true));
      fp.append(b, " ");
    }
    if (!fp.childNodes.length) fp.textContent = dash;
    const body = psets.tBodies[0];
    body.replaceChildren();
    for (const [k, val] of Object.entries(info.props || {})) {
      const tr = el("tr");
      tr.append(el("th", "", k), el("td", "", val));
      body.append(tr);
    }
    psets.hidden = !body.rows.length;
  }

  select(n) {
    this.v.select(n);
    this.showNode(this.v.selection());
    this.keepFragment();
    this.redraw();
  }

  // ------------------------------------------------------------------ pointer

  pointer() {
    const d = this.drag;
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("pointerdown", (e) => {
      if (d.id !== null) return;
      canvas.setPointerCapture(e.pointerId);
      Object.assign(d, {
        id: e.pointerId,
        button: e.button,
        x: e.clientX,
        y: e.clientY,
        moved: false,
        pan: e.button === 1 || e.button === 2 || e.shiftKey,
      });
    });
    canvas.addEventListener("pointermove", (e) => {
      if (e.pointerId !== d.id) return;
      if (!d.moved && Math.hypot(e.clientX - d.x, e.clientY - d.y) < CLICK_SLOP) return;
      d.moved = true;
      const k = window.devicePixelRatio || 1;
      const [dx, dy] = [(e.clientX - d.x) * k, (e.clientY - d.y) * k];
      [d.x, d.y] = [e.clientX, e.clientY];
      if (d.pan) this.v.pan(dx, dy);
      else this.v.orbit(dx, dy);
      this.redraw();
    });
    const end = (e, click) => {
      if (e.pointerId !== d.id) return;
      d.id = null;
      if (click && !d.moved && d.button === 0) this.clickAt(...devicePoint(e));
    };
    canvas.addEventListener("pointerup", (e) => end(e, true));
    canvas.addEventListener("pointercancel", (e) => end(e, false));
    canvas.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const lines = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
        this.v.zoom(e.deltaY * lines, ...devicePoint(e));
        this.redraw();
      },
      { passive: false },
    );
    canvas.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      if (this.measure.on) $("twin-measure").click();
      else this.select(-1);
    });
  }

  clickAt(x, y) {
    if (this.measure.on) this.measureAt(x, y);
    else this.select(this.v.pick(x, y));
  }

  // -------------------------------------------------------------------- links

  selectedGlobalId() {
    const n = this.v.selection();
    if (n < 0) return "";
    return JSON.parse(this.v.node_info(n)).global_id || "";
  }

  /** `cam=…&sel=…&f=…`; the camera only when asked (it changes with every drag). */
  fragment(withCamera) {
    const p = new URLSearchParams();
    if (withCamera) p.set("cam", this.v.camera_state());
    const gid = this.selectedGlobalId();
    if (gid) p.set("sel", gid);
    if (this.finding) p.set("f", String(this.finding));
    return p.toString();
  }

  /** Keeps `sel` and `f` in the address bar, without a history entry or a hashchange. */
  keepFragment() {
    const f = this.fragment(false);
    const url = `${window.location.pathname}${window.location.search}${f ? `#${f}` : ""}`;
    history.replaceState(null, "", url);
  }

  async copyLink() {
    const { origin, pathname, search } = window.location;
    const url = `${origin}${pathname}${search}#${this.fragment(true)}`;
    const input = $("twin-link");
    input.hidden = false;
    input.value = url;
    input.select();
    const b = $("twin-copy");
    try {
      await navigator.clipboard.writeText(url);
      b.dataset.state = "copied";
      input.title = `${t("copied")} · ${other("copied")}`;
    } catch (_) {
      b.dataset.state = "denied";
      input.title = `${t("copyDenied")} · ${other("copyDenied")}`;
    }
  }

  /** Applies `#cam=…&sel=…&f=…`: the selection, the finding (flown to unless a camera is
   * given), then the camera. */
  applyFragment() {
    const p = new URLSearchParams(window.location.hash.slice(1));
    const sel = p.get("sel");
    if (sel) {
      this.v.select_global_id(sel);
      this.showNode(this.v.selection());
    }
    const cam = p.get("cam");
    const f = Number.parseInt(p.get("f") || "", 10);
    if (Number.isInteger(f) && f > 0) this.goToFinding(f, !cam);
    if (cam && !this.v.set_camera_state(cam)) {
      statusEl.hidden = false;
      statusEl.textContent = `${t("badLink")} · ${other("badLink")}`;
    }
    this.redraw();
  }
}

/** "实测 4.00 m · 限值 10 m" in the page's language. */
function valuesText(f) {
  const num = (x) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(2)) : "—");
  const unit = f.unit ? ` ${f.unit}` : "";
  return `${t("measured")} ${num(f.measured)}${unit} · ${t("limit")} ${num(f.limit)}${unit}`;
}

async function main() {
  if (!root || !canvas) return;
  statusEl.textContent = `${t("loading")}`;
  statusEl.title = other("loading");
  const [mod, bytes] = await Promise.all([loadRenderer(), loadScene()]);
  if (!mod || !bytes) return;
  const v = await createViewer(mod.Viewer, bytes);
  if (!v) return;
  window.zhishenTwin = v;
  try {
    new Shell(v).start();
  } catch (e) {
    showError(message(e));
  }
}

main();
