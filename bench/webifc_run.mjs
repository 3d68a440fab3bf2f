#!/usr/bin/env node
// web-ifc peer runner for the zhishen IFC benchmark.
//
// Usage:
//   node webifc_run.mjs [--warm N] FILE   time OpenModel + StreamAllMeshes
//   node webifc_run.mjs --baseline    new IfcAPI() + Init() only (runtime RSS)
//
// Prints one JSON line on stdout:
//   {"tool":"web-ifc","seconds":...,"meshes":...,"triangles":...,...}
//
// Timed section ("seconds"): OpenModel(bytes) + StreamAllMeshes(modelID, cb).
// The file is read into memory before the clock starts, IfcAPI.Init() (WASM
// instantiation) happens before as well, CloseModel() after it stops.
// meshes    = placed geometries streamed (FlatMesh.geometries, summed)
// elements  = FlatMesh callbacks (one per product with geometry)
// triangles = sum over placed geometries of GetIndexDataSize() / 3
// Geometry buffers are not copied out of WASM memory: web-ifc has already
// built them there, so this is the cheapest fair reading of "all geometry".
//
// --warm N: first load + stream + close the same file N times untimed in the
// same process, so the timed pass runs on V8's optimised (TurboFan) WASM code
// like a long-lived service would. Default 0: a cold, one-shot process, where
// V8's Liftoff -> TurboFan tier-up happens during the timed section.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import * as WebIFC from "web-ifc";

const version = JSON.parse(
  readFileSync(new URL("./node_modules/web-ifc/package.json", import.meta.url), "utf8"),
).version;

const args = process.argv.slice(2);
let baseline = false;
let warm = 0;
let file;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--baseline") baseline = true;
  else if (args[i] === "--warm") warm = Number(args[++i]);
  else if (!args[i].startsWith("--") && file === undefined) file = args[i];
  else {
    console.error(`unknown argument ${args[i]}`);
    process.exit(2);
  }
}
if ((!baseline && !file) || !Number.isInteger(warm) || warm < 0) {
  console.error("usage: node webifc_run.mjs [--warm N] FILE | --baseline");
  process.exit(2);
}

const ifcApi = new WebIFC.IfcAPI();
const tInit = performance.now();
await ifcApi.Init();
const initSeconds = (performance.now() - tInit) / 1000;

if (baseline) {
  console.log(JSON.stringify({ tool: "web-ifc", version, baseline: true, init_seconds: initSeconds }));
  process.exit(0);
}

const tRead = performance.now();
const data = new Uint8Array(readFileSync(file));
const readSeconds = (performance.now() - tRead) / 1000;

let meshes = 0;
let elements = 0;
let triangles = 0;

function stream(modelID) {
  meshes = 0;
  elements = 0;
  triangles = 0;
  ifcApi.StreamAllMeshes(modelID, (flatMesh) => {
    elements += 1;
    const placed = flatMesh.geometries;
    const n = placed.size();
    for (let i = 0; i < n; i++) {
      const pg = placed.get(i);
      const geom = ifcApi.GetGeometry(modelID, pg.geometryExpressID);
      triangles += geom.GetIndexDataSize() / 3;
      geom.delete();
      meshes += 1;
    }
  });
}

for (let k = 0; k < warm; k++) {
  const id = ifcApi.OpenModel(data);
  stream(id);
  ifcApi.CloseModel(id);
}

const t0 = performance.now();
const modelID = ifcApi.OpenModel(data);
const tOpen = performance.now();
stream(modelID);
const t1 = performance.now();
ifcApi.CloseModel(modelID);

console.log(
  JSON.stringify({
    tool: "web-ifc",
    version,
    seconds: (t1 - t0) / 1000,
    open_seconds: (tOpen - t0) / 1000,
    geometry_seconds: (t1 - tOpen) / 1000,
    meshes,
    elements,
    triangles,
    warm,
    init_seconds: initSeconds,
    read_seconds: readSeconds,
  }),
);
