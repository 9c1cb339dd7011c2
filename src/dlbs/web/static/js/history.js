// The history drawer: every version of one path, newest first, each downloadable or restorable.

import { api, fileUrl } from "./api.js";
import { closeOnBackdrop } from "./dialog.js";
import { $, el, setChildren, showError } from "./dom.js";
import { formatDateTime, humanBytes, shortHash, timeAgo } from "./format.js";
import { icon } from "./icons.js";
import { toast } from "./toast.js";

let currentPath = null;
let onChanged = () => {};

function versionItem(path, v, currentId, conflicting) {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const isCurrent = v.id === currentId;
  const tags = [];
  if (isCurrent) tags.push(el("span", { class: "badge badge-current" }, "current"));
  if (v.deleted) tags.push(el("span", { class: "badge badge-deleted" }, "deleted"));
  if (conflicting && !isCurrent && !v.deleted) tags.push(el("span", { class: "badge badge-conflict" }, "conflict"));
  const actions = [];
  if (!v.deleted) {
    actions.push(el("a", {
      class: "btn btn-small", href: fileUrl(path, v.version), download: name,
      "aria-label": `Download version ${v.version} of ${name}`,
    }, icon("download"), el("span", { class: "btn-label" }, "Download")));
    if (!isCurrent) {
      actions.push(el("button", {
        type: "button", class: "btn btn-small btn-primary-ghost", "aria-label": `Restore version ${v.version} of ${name}`,
        onclick: (ev) => restore(path, v.version, ev.currentTarget),
      }, icon("restore"), el("span", { class: "btn-label" }, "Restore")));
    }
  }
  return el("li", { class: `version${isCurrent ? " version-current" : ""}${v.deleted ? " version-deleted" : ""}`, dataset: { version: v.version } },
    el("div", { class: "version-marker" }, el("span", { class: "version-number" }, `v${v.version}`)),
    el("div", { class: "version-body" },
      el("div", { class: "version-head" },
        el("time", { datetime: v.time, title: formatDateTime(v.time) }, formatDateTime(v.time)),
        ...tags),
      el("dl", { class: "version-meta" },
        el("div", {}, el("dt", {}, "Size"), el("dd", {}, v.deleted ? "—" : humanBytes(v.size))),
        el("div", {}, el("dt", {}, "From"), el("dd", { title: v.origin }, v.origin_name || v.origin)),
        el("div", {}, el("dt", {}, "Hash"), el("dd", {}, el("code", { class: "hash", title: v.sha256 }, v.deleted ? "—" : shortHash(v.sha256)))),
        el("div", {}, el("dt", {}, "Saved"), el("dd", {}, timeAgo(v.time)))),
      actions.length ? el("div", { class: "version-actions" }, ...actions) : null));
}

async function restore(path, version, button) {
  button.disabled = true;
  try {
    const v = await api.restore(path, version);
    toast(`Restored version ${version} of ${path.slice(path.lastIndexOf("/") + 1)} as v${v.version}`, "success");
    onChanged();
    await load(path);
  } catch (exc) {
    showError($("#history-error"), `Restore failed: ${exc.userMessage || exc}`);
    button.disabled = false;
  }
}

async function load(path) {
  const list = $("#history-list");
  showError($("#history-error"), "");
  try {
    const data = await api.history(path);
    if (currentPath !== path) return;
    const versions = [...data.versions].reverse();
    setChildren(list, versions.map((v) => versionItem(path, v, data.current, data.conflict)));
    list.setAttribute("aria-busy", "false");
  } catch (exc) {
    setChildren(list);
    showError($("#history-error"), `Could not load the history: ${exc.userMessage || exc}`);
  }
}

export function openHistory(path) {
  currentPath = path;
  const drawer = $("#history-drawer");
  $("#history-path").textContent = path;
  const list = $("#history-list");
  list.setAttribute("aria-busy", "true");
  setChildren(list, el("li", { class: "muted loading" }, "Loading versions…"));
  if (!drawer.open) drawer.showModal();
  $("#history-close").focus();
  return load(path);
}

export function refreshHistory() {
  if (currentPath && $("#history-drawer").open) load(currentPath);
}

export function initHistory({ changed }) {
  onChanged = changed;
  const drawer = $("#history-drawer");
  $("#history-close").addEventListener("click", () => drawer.close());
  drawer.addEventListener("close", () => { currentPath = null; });
  closeOnBackdrop(drawer);
}
