#!/usr/bin/env node
// web-ifc peer runner for the zhishen IFC benchmark.
//
// Usage:
//   node webifc_run.mjs FILE          time OpenModel + StreamAllMeshes
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
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import * as WebIFC from "web-ifc";

const version = JSON.parse(
  readFileSync(new URL("./node_modules/web-ifc/package.json", import.meta.url), "utf8"),
).version;

const args = process.argv.slice(2);
const baseline = args.includes("--baseline");
const file = args.find((a) => !a.startsWith("--"));
if (!baseline && !file) {
  console.error("usage: node webifc_run.mjs FILE | --baseline");
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

const t0 = performance.now();
const modelID = ifcApi.OpenModel(data);
const tOpen = performance.now();
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
    init_seconds: initSeconds,
    read_seconds: readSeconds,
  }),
);
