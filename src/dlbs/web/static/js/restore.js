// The restore modal: a whole snapshot, or one folder or file of it, into a folder on the node's
// machine (POST /api/v1/restores → a job). The server refuses before writing anything if files
// would be overwritten without the checkbox; its reason is shown inline.

import { api } from "./api.js";
import { closeOnBackdrop } from "./dialog.js";
import { $, el, setChildren, showError } from "./dom.js";
import { formatDateTime } from "./format.js";
import { trackJob } from "./jobs.js";
import { looksAbsolute } from "./snapshots.js";

const state = { snap: null, path: null };
let afterStart = () => {};

function baseName(path) {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Where the restored files will appear: the whole snapshot keeps full paths under the target;
 *  one folder or file lands in the target under its own name. */
function landsAt(target) {
  const base = target.replace(/\/+$/, "");
  if (state.path) return [`${base}/${baseName(state.path)}`];
  return (state.snap.paths || []).map((p) => `${base}${p.startsWith("/") ? "" : "/"}${p}`);
}

function updateLands() {
  const target = $("#restore-target").value.trim();
  const out = $("#restore-lands");
  if (!target || !looksAbsolute(target)) {
    out.textContent = "";
    out.hidden = true;
    return;
  }
  const where = landsAt(target);
  out.hidden = false;
  setChildren(out, where.length > 1 ? "Restored folders land in " : "Restored files land in ",
    where.flatMap((w, i) => [i ? ", " : "", el("code", {}, w)]));
}

export function openRestore(snap, path) {
  state.snap = snap;
  state.path = path || null;
  const dialog = $("#restore-dialog");
  $("#restore-title").textContent = path ? `Restore ${baseName(path)}` : "Restore snapshot";
  $("#restore-snapshot").textContent = `${snap.short_id} · ${formatDateTime(snap.time)} · ${snap.host}`;
  $("#restore-source").textContent = path || `Everything: ${(snap.paths || []).join(", ")}`;
  $("#restore-overwrite").checked = false;
  showError($("#restore-error"), "");
  updateLands();
  dialog.showModal();
  $("#restore-target").focus();
  $("#restore-target").select();
}

async function start(ev) {
  ev.preventDefault();
  const input = $("#restore-target");
  const target = input.value.trim();
  const error = $("#restore-error");
  if (!target || !looksAbsolute(target)) {
    showError(error, target
      ? `“${target}” is not an absolute path: give the full path on the node's machine, e.g. /home/me/restored.`
      : "Enter the folder to restore into.");
    input.focus();
    return;
  }
  const overwrite = $("#restore-overwrite").checked;
  const button = $("#restore-start");
  button.disabled = true;
  button.classList.add("busy");
  try {
    const job = await api.startRestore(state.snap.id, state.path, target, overwrite);
    showError(error, "");
    $("#restore-dialog").close();
    afterStart();
    trackJob(job);
  } catch (exc) {
    let message = exc.message || String(exc);
    if (exc.error === "files exist" && !overwrite) message += " (tick “Overwrite existing files” to replace them)";
    showError(error, message);
    input.focus();
  } finally {
    button.disabled = false;
    button.classList.remove("busy");
  }
}

export function initRestore({ started }) {
  afterStart = started;
  const dialog = $("#restore-dialog");
  $("#restore-form").addEventListener("submit", start);
  $("#restore-cancel").addEventListener("click", () => dialog.close());
  $("#restore-close").addEventListener("click", () => dialog.close());
  $("#restore-target").addEventListener("input", () => {
    showError($("#restore-error"), "");
    updateLands();
  });
  $("#restore-overwrite").addEventListener("change", () => showError($("#restore-error"), ""));
  closeOnBackdrop(dialog);
}
