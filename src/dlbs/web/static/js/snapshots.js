// The Snapshots panel: every backup snapshot, newest first (GET /api/v1/snapshots), each one
// browsable and restorable, and the "Back up a folder" modal (POST /api/v1/backups → a job).

import { api } from "./api.js";
import { closeOnBackdrop } from "./dialog.js";
import { $, el, setChildren, showError } from "./dom.js";
import { formatDateTime, humanBytes, plural, timeAgo } from "./format.js";
import { icon } from "./icons.js";
import { trackJob } from "./jobs.js";

const state = { snapshots: [], loaded: false, error: null, expanded: new Set() };
let openBrowser = () => {};
let openRestore = () => {};
let loadSeq = 0;

/** An absolute path on the node's machine: /…, ~…, or a Windows drive. */
export function looksAbsolute(path) {
  return /^(\/|~|[A-Za-z]:[\\/])/.test(path);
}

function metaItem(label, value, title) {
  return el("div", { class: "snap-meta-item" }, el("dt", {}, label), el("dd", { title }, value));
}

function partialBadge(s) {
  if (!s.partial) return null;
  const errors = Array.isArray(s.errors) ? s.errors : [];
  const listId = `snap-errors-${s.id}`;
  const open = state.expanded.has(s.id);
  return el("button", {
    type: "button", class: "badge badge-partial", "aria-expanded": String(open), "aria-controls": listId,
    "aria-label": `Partial snapshot ${s.short_id}: ${open ? "hide" : "show"} ${plural(errors.length, "error")}`,
    title: "Some files could not be read; the rest was saved. Show why.",
    onclick: () => {
      if (state.expanded.has(s.id)) state.expanded.delete(s.id);
      else state.expanded.add(s.id);
      renderSnapshots();
    },
  }, "partial", errors.length ? el("span", { class: "badge-count" }, String(errors.length)) : null);
}

function snapshotItem(s) {
  const sources = (s.paths || []).join(", ");
  const errors = Array.isArray(s.errors) ? s.errors : [];
  const showErrors = s.partial && state.expanded.has(s.id);
  return el("li", { class: `snapshot${s.partial ? " snapshot-partial" : ""}`, dataset: { id: s.id } },
    el("div", { class: "snap-main" },
      el("span", { class: "snap-icon" }, icon("archive")),
      el("div", { class: "snap-title" },
        el("div", { class: "snap-head" },
          el("time", { class: "snap-time", datetime: new Date(s.time * 1000).toISOString(), title: formatDateTime(s.time) },
            formatDateTime(s.time)),
          el("span", { class: "snap-ago" }, timeAgo(s.time)),
          partialBadge(s)),
        el("div", { class: "snap-sub" },
          el("code", { class: "snap-id", title: s.id }, s.short_id),
          el("span", { class: "snap-host", title: `Backed up on ${s.host}` }, s.host)),
        el("span", { class: "snap-paths", title: sources }, sources))),
    el("dl", { class: "snap-meta" },
      metaItem("Files", String(s.files), s.dirs !== undefined ? `${plural(s.files, "file")}, ${plural(s.dirs, "folder")}` : undefined),
      metaItem("Size", humanBytes(s.size)),
      metaItem("Added", humanBytes(s.added_bytes), "New data this snapshot stored (after deduplication)")),
    el("div", { class: "snap-actions" },
      el("button", {
        type: "button", class: "btn btn-small", "aria-label": `Browse snapshot ${s.short_id}`, onclick: () => openBrowser(s),
      }, icon("folder"), el("span", { class: "btn-label" }, "Browse")),
      el("button", {
        type: "button", class: "btn btn-small btn-primary-ghost", "aria-label": `Restore snapshot ${s.short_id}`,
        onclick: () => openRestore(s, null),
      }, icon("restore"), el("span", { class: "btn-label" }, "Restore"))),
    showErrors
      ? el("ul", { class: "snap-errors", id: `snap-errors-${s.id}`, "aria-label": `Errors in snapshot ${s.short_id}` },
        errors.length ? errors.map((e) => el("li", {}, String(e))) : el("li", {}, "No details were recorded."))
      : null);
}

export function renderSnapshots() {
  const list = $("#snapshot-list");
  // A refresh redraws the rows: keep a keyboard user's focus on the same control.
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  const key = focused && { id: focused.closest("li.snapshot")?.dataset.id, label: focused.getAttribute("aria-label") };
  setChildren(list, state.snapshots.map(snapshotItem));
  if (key) {
    const row = [...list.children].find((li) => li.dataset.id === key.id);
    const again = row && [...row.querySelectorAll("button")].find((b) => b.getAttribute("aria-label")?.split(":")[0] === key.label?.split(":")[0]);
    if (again) again.focus();
  }
  showError($("#snapshots-error"), state.error ? `Could not load the snapshots: ${state.error}` : "");
  $("#snapshot-empty").hidden = !(state.loaded && !state.error && state.snapshots.length === 0);
  list.hidden = state.snapshots.length === 0;
  const newest = state.snapshots[0];
  const summary = $("#snapshot-summary");
  summary.textContent = state.loaded && newest
    ? `${plural(state.snapshots.length, "snapshot")} · newest ${timeAgo(newest.time)}`
    : "";
  summary.hidden = !summary.textContent;
}

export async function refreshSnapshots() {
  const seq = ++loadSeq;
  try {
    const data = await api.snapshots();
    if (seq !== loadSeq) return;
    state.snapshots = [...data.snapshots].sort((a, b) => b.time - a.time);
    state.error = null;
  } catch (exc) {
    if (seq !== loadSeq) return;
    state.error = exc.userMessage || String(exc);
  }
  state.loaded = true;
  renderSnapshots();
}

/** The exclude box: one glob per line (blank lines ignored). */
function excludes() {
  return $("#backup-exclude").value.split("\n").map((x) => x.trim()).filter(Boolean);
}

async function startBackup(ev) {
  ev.preventDefault();
  const input = $("#backup-path");
  const path = input.value.trim();
  const error = $("#backup-error");
  if (!path) {
    showError(error, "Enter the folder to back up.");
    input.focus();
    return;
  }
  if (!looksAbsolute(path)) {
    showError(error, `“${path}” is not an absolute path: give the full path on the node's machine, e.g. /home/me/Documents.`);
    input.focus();
    return;
  }
  const button = $("#backup-start");
  button.disabled = true;
  button.classList.add("busy");
  try {
    const job = await api.startBackup([path], excludes());
    showError(error, "");
    $("#backup-dialog").close();
    trackJob(job);
  } catch (exc) {
    showError(error, exc.message || String(exc));
    input.focus();
  } finally {
    button.disabled = false;
    button.classList.remove("busy");
  }
}

function openBackup() {
  const dialog = $("#backup-dialog");
  showError($("#backup-error"), "");
  dialog.showModal();
  $("#backup-path").focus();
  $("#backup-path").select();
}

export function initSnapshots({ onBrowse, onRestore }) {
  openBrowser = onBrowse;
  openRestore = onRestore;
  const dialog = $("#backup-dialog");
  $("#backup-button").addEventListener("click", openBackup);
  $("#backup-form").addEventListener("submit", startBackup);
  $("#backup-cancel").addEventListener("click", () => dialog.close());
  $("#backup-close").addEventListener("click", () => dialog.close());
  $("#backup-path").addEventListener("input", () => showError($("#backup-error"), ""));
  closeOnBackdrop(dialog);
  $("#snapshots-refresh").addEventListener("click", () => refreshSnapshots());
  renderSnapshots();
  return refreshSnapshots();
}
