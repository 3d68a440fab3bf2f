// zhishen 智审 — the little script the pages use (no inline script: the CSP forbids it).
// 1. Model and material uploads with a progress bar (XHR streams the file as the body).
// 2. Review progress over server-sent events.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-upload]")) {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const file = form.querySelector("input[type=file]").files[0];
      const bar = form.querySelector("progress");
      const out = form.querySelector("[data-status]");
      if (!file) { out.textContent = form.dataset.nofile; return; }
      const params = new URLSearchParams();
      for (const el of form.querySelectorAll("[data-param]")) {
        if (el.value) params.set(el.name, el.value);
      }
      const xhr = new XMLHttpRequest();
      const sel = form.querySelector("select[name=item]");
      const item = sel ? sel.value : "";
      let url = form.dataset.upload.replace("MODEL_ITEM", encodeURIComponent(item));
      const msel = form.querySelector("select[name=material]");
      if (msel) url = url.replace("MATERIAL", msel.value.split("/").map(encodeURIComponent).join("/materials/"));
      xhr.open("POST", url + "?" + params.toString());
      xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; } };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300 && form.dataset.result === "precheck") {
          const r = JSON.parse(xhr.responseText);
          window.location.href = "/precheck/" + encodeURIComponent(r.id);
        } else if (xhr.status >= 200 && xhr.status < 300 && form.dataset.result === "material") {
          window.location.reload();
        } else if (xhr.status >= 200 && xhr.status < 300) {
          const job = JSON.parse(xhr.responseText).job_id;
          out.textContent = form.dataset.queued + " #" + job;
          follow(job, out);
        } else {
          let msg = xhr.statusText;
          try { msg = JSON.parse(xhr.responseText).detail; } catch (_) { /* keep statusText */ }
          out.textContent = xhr.status + " " + msg;
          out.className = "error";
        }
      };
      xhr.send(file);
    });
  }
  for (const el of document.querySelectorAll("[data-job]")) follow(el.dataset.job, el);
});

function follow(job, out) {
  const es = new EventSource("/api/jobs/" + encodeURIComponent(job) + "/events");
  es.addEventListener("status", (e) => {
    const s = JSON.parse(e.data);
    out.textContent = s.label;
    if (s.status === "done" || s.status === "failed") {
      es.close();
      if (s.status === "done") setTimeout(() => window.location.reload(), 300);
    }
  });
  es.onerror = () => es.close();
}
