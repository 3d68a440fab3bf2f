// Load-to-first-frame of a twin in the browser (make bench): from navigation start
// through fetching the GLB, parsing it in wasm, uploading it and drawing one frame,
// to the frame's pixels being readable. `?glb=NAME&webgl=1`.
import init, { Viewer } from './pkg/zhishen_render.js';
const q = new URLSearchParams(location.search);
const out = {};
try {
  await init();
  const bytes = new Uint8Array(await (await fetch(q.get('glb'))).arrayBuffer());
  const c = document.getElementById('c');
  const v = await Viewer.create(c, bytes, q.get('webgl') === '1');
  v.render();
  // A 1-pixel read-back waits for the frame to be finished, not just submitted.
  const g = document.createElement('canvas').getContext('2d');
  g.drawImage(c, 0, 0, 1, 1);
  g.getImageData(0, 0, 1, 1);
  out.first_frame_ms = performance.now();
  out.backend = v.backend();
  out.stats = JSON.parse(v.stats());
  out.bytes = bytes.length;
} catch (e) {
  out.error = String(e);
}
document.body.dataset.result = JSON.stringify(out);
