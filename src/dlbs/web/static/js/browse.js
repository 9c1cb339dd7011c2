// The snapshot drawer: one snapshot's tree as a folder list (GET /api/v1/snapshots/<id>?prefix=&depth=1),
// folders first; any folder or file, or the whole snapshot, can be restored from here.

import { api } from "./api.js";
import { closeOnBackdrop } from "./dialog.js";
import { $, el, setChildren, showError } from "./dom.js";
import { formatDateTime, humanBytes, plural, timeAgo } from "./format.js";
import { icon } from "./icons.js";

const state = { snap: null, folder: "", seq: 0 };
let openRestore = () => {};

function baseName(path) {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1) || trimmed;
}

function childPrefix(folder) {
  return folder.endsWith("/") ? folder : `${folder}/`;
}

/** The folder's direct children; sub-folders carry the size and file count of their subtree.
 *  The node sends one level (`depth=1`, folders with `files` and `size` totals); a whole subtree
 *  works too. */
function children(folder, entries) {
  const prefix = childPrefix(folder);
  const rows = new Map();
  for (const e of entries) {
    if (!e.path.startsWith(prefix)) continue;
    const rel = e.path.slice(prefix.length);
    const slash = rel.indexOf("/");
    const name = slash === -1 ? rel : rel.slice(0, slash);
    if (!name) continue;
    if (slash === -1 && e.type !== "dir") {
      rows.set(name, { kind: e.type === "symlink" ? "symlink" : "file", name, path: e.path, entry: e });
      continue;
    }
    const row = rows.get(name) || { kind: "dir", name, path: prefix + name, size: 0, files: 0, entry: null };
    if (slash === -1) {
      row.entry = e;
      if (e.files !== undefined) {
        row.size = e.size || 0;
        row.files = e.files;
      }
    } else if (e.type === "file") {
      row.size += e.size || 0;
      row.files += 1;
    }
    rows.set(name, row);
  }
  return [...rows.values()].sort((a, b) =>
    (a.kind === "dir" ? 0 : 1) - (b.kind === "dir" ? 0 : 1) || a.name.localeCompare(b.name));
}

function restoreButton(path, name) {
  return el("button", {
    type: "button", class: "btn btn-icon btn-small", "aria-label": `Restore ${name}`, title: "Restore…",
    onclick: () => openRestore(state.snap, path),
  }, icon("restore"));
}

function row(r) {
  const mtime = r.entry && r.entry.mtime_ns ? Number(r.entry.mtime_ns) / 1e9 : null;
  const when = mtime ? el("span", { title: formatDateTime(mtime) }, timeAgo(mtime)) : null;
  if (r.kind === "dir") {
    const open = () => navigate(r.path);
    return el("li", { class: "browse-row", dataset: { path: r.path, type: "dir" } },
      el("span", { class: "file-icon folder-icon" }, icon("folder")),
      el("div", { class: "browse-name" },
        el("button", { type: "button", class: "name-link", "aria-label": `Open folder ${r.name}`, onclick: open }, r.name),
        el("span", { class: "browse-meta" }, `${plural(r.files, "file")} · ${humanBytes(r.size)}`)),
      el("div", { class: "row-actions" }, restoreButton(r.path, r.name)));
  }
  const e = r.entry;
  const meta = e.type === "symlink" ? [`→ ${e.target}`] : [humanBytes(e.size), when ? " · " : null, when];
  return el("li", { class: "browse-row", dataset: { path: r.path, type: e.type } },
    el("span", { class: "file-icon" }, icon(e.type === "symlink" ? "link" : "file")),
    el("div", { class: "browse-name" },
      el("span", { class: "name-text", title: r.path }, r.name),
      el("span", { class: "browse-meta" }, ...meta)),
    el("div", { class: "row-actions" }, restoreButton(r.path, r.name)));
}

/** The source folder (one of the snapshot's paths) that holds `folder`, or null at the root. */
function sourceOf(folder) {
  return (state.snap.paths || []).find((p) => folder === p || folder.startsWith(childPrefix(p))) || null;
}

function renderCrumbs() {
  const multi = (state.snap.paths || []).length > 1;
  const source = sourceOf(state.folder);
  const parts = [];
  if (multi) parts.push({ label: "All sources", path: "" });
  if (source) {
    parts.push({ label: baseName(source), path: source, title: source, root: true });
    const rest = state.folder.slice(childPrefix(source).length);
    let at = source;
    for (const seg of rest ? rest.split("/") : []) {
      at = childPrefix(at) + seg;
      parts.push({ label: seg, path: at });
    }
  }
  const list = el("ol", { class: "crumbs" }, parts.map((p, i) => {
    const content = [p.root ? icon("archive") : null, el("span", {}, p.label)];
    return el("li", {}, i === parts.length - 1
      ? el("span", { class: "crumb crumb-current", title: p.title, "aria-current": "location" }, ...content)
      : el("button", { type: "button", class: "crumb crumb-button", title: p.title, onclick: () => navigate(p.path) }, ...content));
  }));
  setChildren($("#browse-crumbs"), list);
  const whole = !state.folder || (!multi && state.folder === source);
  const restore = $("#browse-restore");
  restore.setAttribute("aria-label", whole ? `Restore snapshot ${state.snap.short_id}` : `Restore folder ${baseName(state.folder)}`);
  restore.querySelector(".btn-label").textContent = whole ? "Restore all…" : "Restore folder…";
  restore.dataset.path = whole ? "" : state.folder;
}

async function load() {
  const seq = ++state.seq;
  const list = $("#browse-list");
  showError($("#browse-error"), "");
  renderCrumbs();
  if (!state.folder) {
    const rows = state.snap.paths.map((p) => ({ kind: "dir", name: p, path: p, size: 0, files: 0, entry: null }));
    setChildren(list, rows.map((r) => row(r)));
    for (const meta of list.querySelectorAll(".browse-meta")) meta.textContent = "backed-up folder";
    $("#browse-summary").textContent = plural(rows.length, "source folder");
    return;
  }
  list.setAttribute("aria-busy", "true");
  setChildren(list, el("li", { class: "muted loading" }, "Loading…"));
  try {
    const data = await api.snapshotEntries(state.snap.id, state.folder);
    if (seq !== state.seq) return;
    const rows = children(state.folder, data.entries);
    setChildren(list, rows.length ? rows.map(row) : el("li", { class: "muted loading" }, "This folder is empty."));
    const files = rows.filter((r) => r.kind !== "dir").length;
    $("#browse-summary").textContent = `${plural(rows.length - files, "folder")}, ${plural(files, "file")}`;
  } catch (exc) {
    if (seq !== state.seq) return;
    setChildren(list);
    $("#browse-summary").textContent = "";
    showError($("#browse-error"), `Could not read the snapshot: ${exc.userMessage || exc}`);
  }
  list.setAttribute("aria-busy", "false");
}

function navigate(folder) {
  state.folder = folder;
  // The control that was clicked is gone: keep the keyboard in the list.
  return load().then(() => ($("#browse-list").querySelector("button") || $("#snapshot-drawer-close")).focus());
}

export function openSnapshot(snap) {
  state.snap = snap;
  state.folder = snap.paths && snap.paths.length === 1 ? snap.paths[0] : "";
  $("#snapshot-drawer-title").textContent = `Snapshot ${snap.short_id}`;
  $("#snapshot-drawer-info").textContent = `${formatDateTime(snap.time)} · ${snap.host} · ${plural(snap.files, "file")} · ${humanBytes(snap.size)}`;
  $("#snapshot-drawer-paths").textContent = (snap.paths || []).join(", ");
  const drawer = $("#snapshot-drawer");
  if (!drawer.open) drawer.showModal();
  $("#snapshot-drawer-close").focus();
  return load();
}

export function closeSnapshot() {
  const drawer = $("#snapshot-drawer");
  if (drawer.open) drawer.close();
}

export function initBrowse({ onRestore }) {
  openRestore = onRestore;
  const drawer = $("#snapshot-drawer");
  $("#snapshot-drawer-close").addEventListener("click", () => drawer.close());
  $("#browse-restore").addEventListener("click", (ev) => openRestore(state.snap, ev.currentTarget.dataset.path || null));
  drawer.addEventListener("close", () => { state.snap = null; });
  closeOnBackdrop(drawer);
}
