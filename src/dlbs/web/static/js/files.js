// The file list: one folder at a time (breadcrumbs, folders first), a filter that searches the
// folder's whole subtree, sortable columns, and per-file download / history / delete.

import { api, ApiError, fileUrl } from "./api.js";
import { confirmAction } from "./dialog.js";
import { $, el, setChildren } from "./dom.js";
import { formatDateTime, humanBytes, plural, shortHash, timeAgo } from "./format.js";
import { icon } from "./icons.js";
import { toast } from "./toast.js";

const state = {
  folder: "",       // "" is the root; otherwise "a/b" with no trailing slash
  entries: [],      // every live file under `folder` (the API lists the whole subtree)
  filter: "",
  sort: { key: "name", dir: 1 },
  loaded: false,
  error: null,
};

let openHistory = () => {};
let loadSeq = 0;

export function currentFolder() {
  return state.folder;
}

export function baseName(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}

function folderFromHash() {
  const raw = location.hash.startsWith("#/") ? location.hash.slice(2) : "";
  try {
    return raw.split("/").filter(Boolean).map(decodeURIComponent).join("/");
  } catch {
    return "";
  }
}

export function navigate(folder) {
  const target = folder ? `#/${folder.split("/").map(encodeURIComponent).join("/")}` : "#/";
  if (location.hash !== target) location.hash = target;
  else refreshFiles();
}

/** The rows to show: with no filter, the folder's direct children (sub-folders aggregated);
 *  with a filter, every file in the subtree whose relative path matches it. */
function visibleRows() {
  const prefix = state.folder ? `${state.folder}/` : "";
  const query = state.filter.trim().toLowerCase();
  const rows = [];
  if (query) {
    for (const e of state.entries) {
      const rel = e.path.slice(prefix.length);
      if (rel.toLowerCase().includes(query)) rows.push({ kind: "file", label: rel, entry: e });
    }
  } else {
    const folders = new Map();
    for (const e of state.entries) {
      const rel = e.path.slice(prefix.length);
      const slash = rel.indexOf("/");
      if (slash === -1) {
        rows.push({ kind: "file", label: rel, entry: e });
        continue;
      }
      const name = rel.slice(0, slash);
      const f = folders.get(name) || { kind: "folder", label: name, path: prefix + name, size: 0, files: 0, modified: null };
      f.size += e.size;
      f.files += 1;
      if (!f.modified || e.modified > f.modified) f.modified = e.modified;
      folders.set(name, f);
    }
    rows.push(...folders.values());
  }
  const { key, dir } = state.sort;
  const value = (r) => {
    if (key === "size") return r.kind === "folder" ? r.size : r.entry.size;
    if (key === "modified") return r.kind === "folder" ? r.modified || "" : r.entry.modified;
    return r.label.toLocaleLowerCase();
  };
  rows.sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === "folder" ? -1 : 1;
    const va = value(a);
    const vb = value(b);
    return (va < vb ? -1 : va > vb ? 1 : 0) * dir || a.label.localeCompare(b.label);
  });
  return rows;
}

function renderBreadcrumbs() {
  const nav = $("#breadcrumbs");
  const parts = state.folder ? state.folder.split("/") : [];
  const list = el("ol", { class: "crumbs" });
  const crumb = (label, path, isLast, withIcon) => {
    const content = [withIcon ? icon("home") : null, el("span", {}, label)];
    return el("li", {},
      isLast
        ? el("span", { class: "crumb crumb-current", "aria-current": "page" }, ...content)
        : el("a", { class: "crumb", href: path ? `#/${path.split("/").map(encodeURIComponent).join("/")}` : "#/" }, ...content));
  };
  list.append(crumb("All files", "", parts.length === 0, true));
  parts.forEach((part, i) => list.append(crumb(part, parts.slice(0, i + 1).join("/"), i === parts.length - 1, false)));
  setChildren(nav, list);
}

function actionButton(name, label, onClick, extra = "") {
  return el("button", { type: "button", class: `btn btn-icon btn-small ${extra}`.trim(), "aria-label": label, title: label, onclick: onClick },
    icon(name));
}

function fileRow(row) {
  const e = row.entry;
  const name = baseName(e.path);
  const nameCell = el("td", { class: "col-name" },
    el("div", { class: "name-cell" },
      el("span", { class: "file-icon" }, icon("file")),
      el("span", { class: "name-text", title: e.path }, row.label),
      e.conflict ? el("span", { class: "badge badge-conflict", title: "Two versions were made without seeing each other; both are kept. Open the history to choose." }, "conflict") : null));
  const download = el("a", {
    class: "btn btn-icon btn-small", href: fileUrl(e.path), download: name,
    "aria-label": `Download ${name}`, title: "Download",
  }, icon("download"));
  return el("tr", { class: "file-row", dataset: { path: e.path } },
    nameCell,
    el("td", { class: "col-size num" }, humanBytes(e.size)),
    el("td", { class: "col-modified", title: formatDateTime(e.modified) }, timeAgo(e.modified)),
    el("td", { class: "col-hash" }, el("code", { class: "hash", title: `SHA-256 ${e.sha256}` }, shortHash(e.sha256))),
    el("td", { class: "col-versions" },
      el("button", { type: "button", class: "pill pill-button", "aria-label": `${plural(e.versions, "version")} of ${name}: open history`, onclick: () => openHistory(e.path) },
        `v${e.versions}`)),
    el("td", { class: "col-actions" },
      el("div", { class: "row-actions" },
        download,
        actionButton("history", `History of ${name}`, () => openHistory(e.path)),
        actionButton("trash", `Delete ${name}`, () => deleteFile(e.path), "btn-danger-ghost"))));
}

function folderRow(row) {
  const open = () => navigate(row.path);
  return el("tr", { class: "folder-row", dataset: { path: row.path } },
    el("td", { class: "col-name" },
      el("div", { class: "name-cell" },
        el("span", { class: "file-icon folder-icon" }, icon("folder")),
        el("button", { type: "button", class: "name-link", onclick: open, "aria-label": `Open folder ${row.label}` }, row.label))),
    el("td", { class: "col-size num" }, humanBytes(row.size)),
    el("td", { class: "col-modified", title: formatDateTime(row.modified) }, timeAgo(row.modified)),
    el("td", { class: "col-hash" }, el("span", { class: "muted" }, "—")),
    el("td", { class: "col-versions" }, el("span", { class: "pill pill-muted" }, plural(row.files, "file"))),
    el("td", { class: "col-actions" },
      el("div", { class: "row-actions" }, actionButton("folder", `Open folder ${row.label}`, open))));
}

function renderSortHeaders() {
  for (const button of document.querySelectorAll("#file-table .sort")) {
    const th = button.closest("th");
    const active = button.dataset.sort === state.sort.key;
    th.setAttribute("aria-sort", active ? (state.sort.dir > 0 ? "ascending" : "descending") : "none");
    button.dataset.dir = active ? (state.sort.dir > 0 ? "asc" : "desc") : "";
  }
}

export function renderFiles() {
  renderBreadcrumbs();
  renderSortHeaders();
  const rows = visibleRows();
  const body = $("#file-rows");
  // Live updates re-render the rows: keep a keyboard user's focus on the same control.
  const focused = body.contains(document.activeElement) ? document.activeElement : null;
  const focusKey = focused && {
    path: focused.closest("tr") ? focused.closest("tr").dataset.path : null,
    label: focused.getAttribute("aria-label"),
  };
  setChildren(body, rows.map((r) => (r.kind === "folder" ? folderRow(r) : fileRow(r))));
  if (focusKey) {
    const row = [...body.children].find((tr) => tr.dataset.path === focusKey.path);
    const again = row && [...row.querySelectorAll("button, a")].find((c) => c.getAttribute("aria-label") === focusKey.label);
    if (again) again.focus();
  }
  const empty = $("#file-empty");
  const table = $("#file-table");
  const showEmpty = state.loaded && rows.length === 0;
  empty.hidden = !showEmpty;
  table.hidden = showEmpty;
  if (state.error) {
    $("#file-empty-title").textContent = "Could not load the file list";
    $("#file-empty-text").textContent = state.error;
    empty.hidden = false;
    table.hidden = true;
  } else if (state.filter.trim()) {
    $("#file-empty-title").textContent = "No matches";
    $("#file-empty-text").textContent = `Nothing under this folder matches “${state.filter.trim()}”.`;
  } else if (state.folder) {
    $("#file-empty-title").textContent = "This folder is empty";
    $("#file-empty-text").textContent = "Drop files here or use Upload to add files to this folder.";
  } else {
    $("#file-empty-title").textContent = "No files yet";
    $("#file-empty-text").textContent = "Drop files here or use Upload. Every file is chunked, deduplicated, encrypted and replicated to your other nodes.";
  }
  const files = rows.filter((r) => r.kind === "file");
  const folders = rows.length - files.length;
  const size = files.reduce((sum, r) => sum + r.entry.size, 0);
  const parts = [];
  if (folders) parts.push(plural(folders, "folder"));
  parts.push(`${plural(files.length, "file")} · ${humanBytes(size)}`);
  $("#file-summary").textContent = state.loaded && !state.error ? parts.join(", ") : "";
}

export async function refreshFiles() {
  const seq = ++loadSeq;
  const folder = folderFromHash();
  try {
    const data = await api.listFiles(folder);
    if (seq !== loadSeq) return;
    state.folder = folder;
    state.entries = data.files.filter((e) => !e.deleted);
    state.error = null;
  } catch (exc) {
    if (seq !== loadSeq) return;
    state.folder = folder;
    state.entries = [];
    state.error = exc instanceof ApiError ? exc.userMessage : String(exc);
  }
  state.loaded = true;
  renderFiles();
}

async function deleteFile(path) {
  const ok = await confirmAction({
    title: "Delete this file?",
    text: `“${path}” will be removed from every node. Its earlier versions stay in the history and can be restored.`,
    confirmLabel: "Delete",
  });
  if (!ok) return;
  try {
    await api.deleteFile(path);
    toast(`Deleted ${baseName(path)}`, "success");
  } catch (exc) {
    toast(`Could not delete ${baseName(path)}: ${exc.userMessage || exc}`, "error", 8000);
  }
  refreshFiles();
}

export function initFiles({ onHistory }) {
  openHistory = onHistory;
  const filter = $("#file-filter");
  filter.addEventListener("input", () => {
    state.filter = filter.value;
    renderFiles();
  });
  filter.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && filter.value) {
      filter.value = "";
      state.filter = "";
      renderFiles();
    }
  });
  for (const button of document.querySelectorAll("#file-table .sort")) {
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : key === "name" ? 1 : -1 };
      renderFiles();
    });
  }
  $("#refresh-button").addEventListener("click", () => refreshFiles());
  // "/" jumps to the filter, as in most file browsers, unless the user is typing somewhere.
  document.addEventListener("keydown", (ev) => {
    const typing = ev.target.closest && ev.target.closest("input, select, textarea, dialog[open]");
    if (ev.key === "/" && !typing && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      ev.preventDefault();
      filter.focus();
    }
  });
  window.addEventListener("hashchange", () => refreshFiles());
  renderFiles();
  return refreshFiles();
}
