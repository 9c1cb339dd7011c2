// Uploads from the file picker or drag-and-drop (folders too), into the folder on screen:
// a queue of raw PUTs with a progress bar per file and the server's error shown per file.

import { uploadFile } from "./api.js";
import { $, el } from "./dom.js";
import { humanBytes } from "./format.js";
import { icon } from "./icons.js";

const PARALLEL = 3;
const queue = [];
let running = 0;
let onUploaded = () => {};
let folderOf = () => "";

function uploadItem(path, file) {
  const bar = el("div", { class: "bar-fill" });
  const progress = el("div", {
    class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0",
    "aria-label": `Upload progress of ${path}`,
  }, bar);
  const status = el("span", { class: "upload-status" }, `waiting · ${humanBytes(file.size)}`);
  const dismiss = el("button", { type: "button", class: "btn btn-icon btn-small", "aria-label": `Cancel upload of ${path}`, title: "Cancel" }, icon("close"));
  const node = el("li", { class: "upload", dataset: { state: "queued", path } },
    el("div", { class: "upload-line" },
      el("span", { class: "upload-name", title: path }, path),
      status,
      dismiss),
    progress);
  const item = { path, file, node, bar, progress, status, dismiss, handle: null };
  dismiss.addEventListener("click", () => {
    if (item.handle && node.dataset.state === "uploading") item.handle.abort();
    else if (node.dataset.state === "queued") {
      queue.splice(queue.indexOf(item), 1);
      removeItem(item);
    } else removeItem(item);
  });
  return item;
}

function removeItem(item) {
  item.node.remove();
  updateSummary();
}

/** "Uploading 2 of 5 · 1 failed" above the list; the box hides when the list is empty. */
function updateSummary() {
  const items = [...$("#upload-list").children];
  $("#uploads").hidden = items.length === 0;
  const count = (state) => items.filter((n) => n.dataset.state === state).length;
  const done = count("done");
  const failed = count("error");
  const pending = items.length - done - failed;
  const parts = [];
  if (pending) parts.push(`Uploading ${items.length - pending + 1} of ${items.length}`);
  else if (done) parts.push(`${done} uploaded`);
  if (failed) parts.push(`${failed} failed`);
  $("#uploads-summary").textContent = parts.join(" · ");
  $("#uploads-clear").hidden = pending === items.length;
}

function setProgress(item, loaded, total) {
  const pct = total ? Math.min(100, Math.round((loaded / total) * 100)) : 100;
  item.bar.style.width = `${pct}%`;
  item.progress.setAttribute("aria-valuenow", String(pct));
  item.status.textContent = `${humanBytes(loaded)} of ${humanBytes(total)} · ${pct}%`;
}

async function run(item) {
  running += 1;
  item.node.dataset.state = "uploading";
  setProgress(item, 0, item.file.size);
  item.handle = uploadFile(item.path, item.file, (loaded, total) => setProgress(item, loaded, total));
  try {
    const version = await item.handle.promise;
    item.node.dataset.state = "done";
    item.status.textContent = `uploaded · ${humanBytes(item.file.size)}${version && version.version > 1 ? ` · v${version.version}` : ""}`;
    item.dismiss.setAttribute("aria-label", `Dismiss ${item.path}`);
    item.dismiss.title = "Dismiss";
    setTimeout(() => removeItem(item), 10000);
    onUploaded(item.path);
  } catch (exc) {
    item.node.dataset.state = "error";
    item.bar.style.width = "100%";
    item.status.textContent = exc.userMessage || String(exc);
    item.status.setAttribute("role", "alert");
    item.dismiss.setAttribute("aria-label", `Dismiss error for ${item.path}`);
    item.dismiss.title = "Dismiss";
  } finally {
    running -= 1;
    updateSummary();
    pump();
  }
}

function pump() {
  while (running < PARALLEL && queue.length) run(queue.shift());
}

/** Queue files for upload; `relative` names (from a dropped folder) keep their sub-path. */
export function enqueue(files) {
  const list = $("#upload-list");
  const folder = folderOf();
  for (const { file, relative } of files) {
    const path = folder ? `${folder}/${relative}` : relative;
    const item = uploadItem(path, file);
    list.append(item.node);
    queue.push(item);
  }
  pump();
  updateSummary();
}

function readAllEntries(reader) {
  return new Promise((resolve, reject) => {
    const all = [];
    const next = () => reader.readEntries((batch) => {
      if (!batch.length) resolve(all);
      else {
        all.push(...batch);
        next();
      }
    }, reject);
    next();
  });
}

async function walk(entry, prefix, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, relative: prefix + file.name });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries(entry.createReader())) await walk(child, `${prefix}${entry.name}/`, out);
  }
}

async function filesFromDrop(dataTransfer) {
  // Entries must be taken synchronously, before the drop event returns.
  const entries = [];
  const plain = [];
  for (const item of dataTransfer.items || []) {
    if (item.kind !== "file") continue;
    const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) plain.push({ file: f, relative: f.name });
    }
  }
  if (!entries.length && !plain.length) {
    return [...dataTransfer.files].map((f) => ({ file: f, relative: f.name }));
  }
  const out = [...plain];
  for (const entry of entries) await walk(entry, "", out);
  return out;
}

export function initUpload({ currentFolder, uploaded }) {
  folderOf = currentFolder;
  onUploaded = uploaded;
  $("#uploads-clear").addEventListener("click", () => {
    for (const node of [...$("#upload-list").children]) {
      if (node.dataset.state === "done" || node.dataset.state === "error") node.remove();
    }
    updateSummary();
  });
  const input = $("#file-input");
  input.addEventListener("change", () => {
    enqueue([...input.files].map((f) => ({ file: f, relative: f.name })));
    input.value = "";
  });

  const zone = $("#files-panel");
  const overlay = $("#drop-overlay");
  let depth = 0;
  const hasFiles = (ev) => ev.dataTransfer && [...ev.dataTransfer.types].includes("Files");
  zone.addEventListener("dragenter", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    depth += 1;
    const folder = folderOf();
    $("#drop-text").textContent = folder ? `Drop to upload into ${folder}` : "Drop to upload";
    overlay.classList.add("active");
  });
  zone.addEventListener("dragover", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.classList.remove("active");
  });
  zone.addEventListener("drop", async (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    depth = 0;
    overlay.classList.remove("active");
    enqueue(await filesFromDrop(ev.dataTransfer));
  });
  // A file dropped outside the panel must not navigate away from the page.
  window.addEventListener("dragover", (ev) => ev.preventDefault());
  window.addEventListener("drop", (ev) => ev.preventDefault());
}
