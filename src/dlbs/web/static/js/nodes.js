// The nodes panel (this node and its peers, from GET /api/v1/status), the settings modal
// (peers via POST /api/nodes; schedule and replicas via POST /api/v1/config) and "Sync now".

import { api } from "./api.js";
import { closeOnBackdrop } from "./dialog.js";
import { $, el, setChildren, showError } from "./dom.js";
import { duration, formatDateTime, humanBytes, plural, timeAgo } from "./format.js";
import { icon } from "./icons.js";

let status = null;
let config = null;
let onChanged = () => {};

function metaItem(label, value, title) {
  return el("div", { class: "node-meta-item" }, el("dt", {}, label), el("dd", { title }, value));
}

function selfItem(s) {
  return el("li", { class: "node node-self", dataset: { state: "online" } },
    el("div", { class: "node-head" },
      el("span", { class: "node-icon" }, icon("server")),
      el("div", { class: "node-title" },
        el("span", { class: "node-name" }, s.node_name || "this node"),
        el("span", { class: "node-address" }, `this node · ${s.node_id || ""}`)),
      el("span", { class: "status-chip", dataset: { state: "online" } }, el("span", { class: "dot" }), "online")),
    el("dl", { class: "node-meta" },
      metaItem("Uptime", duration(s.uptime)),
      metaItem("Version", s.version || "–"),
      metaItem("Stored", humanBytes(s.stats ? s.stats.stored_bytes : null))));
}

function peerItem(p) {
  const online = p.online === true;
  const unknown = p.online === undefined || p.online === null;
  const state = unknown ? "unknown" : online ? "online" : "offline";
  const behind = Number(p.behind) || 0;
  const name = p.name || p.address || p.id || "peer";
  const where = [p.address, p.id].filter((x) => x && x !== name).join(" · ");
  // A peer never reached has no known position: say so rather than "up to date".
  const behindText = unknown || (!online && !p.last_seen) ? "unknown" : behind ? plural(behind, "version") : "up to date";
  return el("li", { class: "node", dataset: { state } },
    el("div", { class: "node-head" },
      el("span", { class: "node-icon" }, icon("server")),
      el("div", { class: "node-title" },
        el("span", { class: "node-name" }, name),
        where ? el("span", { class: "node-address" }, where) : null),
      el("span", { class: "status-chip", dataset: { state } }, el("span", { class: "dot" }), unknown ? "unknown" : online ? "online" : "offline")),
    el("dl", { class: "node-meta" },
      metaItem("Last seen", p.last_seen ? timeAgo(p.last_seen) : "never", p.last_seen ? formatDateTime(p.last_seen) : undefined),
      metaItem("Last sync", p.last_sync ? timeAgo(p.last_sync) : "never", p.last_sync ? formatDateTime(p.last_sync) : undefined),
      metaItem("Behind", behindText)),
    p.reason && !online ? el("p", { class: "node-reason" }, p.reason) : null);
}

function renderNodes() {
  const list = $("#node-list");
  if (!status) return;
  let peers = Array.isArray(status.nodes) ? status.nodes : [];
  if (!peers.length && config && config.nodes && config.nodes.length) {
    // Configured but not yet reported on: show them honestly as unknown.
    peers = config.nodes.map((address) => ({ address, name: address }));
  }
  setChildren(list, selfItem(status), peers.map(peerItem));
  const hint = $("#no-peers");
  hint.hidden = peers.length > 0;
  if (!peers.length) {
    setChildren(hint,
      "No peers yet: run ", el("code", {}, "dlbs invite"), " here and ", el("code", {}, "dlbs join TOKEN --peer HOST:PORT"),
      " on another device, or add a node address under Manage.");
  }
  $("#node-label").textContent = `${status.node_name} · v${status.version}`;
}

export async function refreshNodes() {
  try {
    const [s, c] = await Promise.all([api.status(), api.config()]);
    status = s;
    config = c;
    renderNodes();
  } catch (exc) {
    $("#node-label").textContent = "node unreachable";
  }
}

/* ---------- Sync now ---------- */

const syncFailed = (r) => Boolean(r.error) || !["ok", "self"].includes(r.status || "ok");

function syncResultItem(r) {
  const who = r.name || r.node || r.address || r.id || "peer";
  let state = "ok";
  let detail;
  if (r.status === "self") {
    state = "skip";
    detail = "this node itself: skipped";
  } else if (syncFailed(r)) {
    state = "error";
    detail = r.error ? `${r.status || "error"}: ${r.error}` : String(r.status || "failed");
  } else {
    const facts = [plural(Number(r.pulled_versions) || 0, "version"), plural(Number(r.fetched_chunks) || 0, "chunk")];
    if (r.bytes) facts.push(humanBytes(r.bytes));
    detail = `pulled ${facts.join(", ")}`;
  }
  return el("li", { class: "sync-item", dataset: { state } },
    el("span", { class: "sync-icon" }, icon(state === "error" ? "alert" : "check")),
    el("div", { class: "sync-text" },
      el("span", { class: "sync-node" }, who, r.address && r.address !== who ? el("span", { class: "sync-address" }, ` · ${r.address}`) : null),
      el("span", { class: "sync-detail" }, detail)));
}

function showSyncResult(kind, title, items = []) {
  const box = $("#sync-result");
  box.hidden = false;
  box.dataset.state = kind;
  setChildren(box,
    el("div", { class: "sync-result-head" },
      el("span", { class: "sync-result-title" }, title),
      el("button", { type: "button", class: "btn btn-icon btn-small", "aria-label": "Dismiss sync result", onclick: () => { box.hidden = true; } }, icon("close"))),
    items.length ? el("ul", { class: "sync-list" }, items) : null);
}

async function syncNow() {
  const button = $("#sync-button");
  if (button.disabled) return;
  button.disabled = true;
  button.classList.add("busy");
  button.querySelector(".btn-label").textContent = "Syncing…";
  try {
    const data = await api.sync();
    const results = Array.isArray(data.results) ? data.results : [];
    const failed = results.filter(syncFailed).length;
    const peers = results.filter((r) => r.status !== "self").length;
    const title = !peers ? `Nothing to sync: ${data.message || "no peers yet"}`
      : failed ? `Sync reached ${peers - failed} of ${plural(peers, "peer")}` : `Synced with ${plural(peers, "peer")}`;
    showSyncResult(failed ? "warn" : "ok", title, results.map(syncResultItem));
  } catch (exc) {
    const text = exc.status === 404 ? "This node does not offer sync yet (404)" : `Sync failed: ${exc.userMessage || exc}`;
    showSyncResult("error", text);
  } finally {
    button.disabled = false;
    button.classList.remove("busy");
    button.querySelector(".btn-label").textContent = "Sync now";
    onChanged();
  }
}

/* ---------- Settings ---------- */

function renderPeerEditor() {
  const list = $("#peer-edit-list");
  const nodes = (config && config.nodes) || [];
  if (!nodes.length) {
    setChildren(list, el("li", { class: "peer-edit-empty muted" }, "No peers configured."));
    return;
  }
  setChildren(list, nodes.map((address) => el("li", { class: "peer-edit" },
    el("span", { class: "peer-edit-address" }, address),
    el("button", {
      type: "button", class: "btn btn-small btn-danger-ghost", "aria-label": `Remove node ${address}`,
      onclick: () => saveNodes(nodes.filter((n) => n !== address)),
    }, icon("trash"), el("span", { class: "btn-label" }, "Remove")))));
}

async function saveNodes(nodes) {
  const error = $("#nodes-error");
  showError(error, "");
  try {
    const res = await api.setNodes(nodes);
    config = { ...config, nodes: res.nodes };
    renderPeerEditor();
    onChanged();
    return true;
  } catch (exc) {
    showError(error, exc.userMessage || String(exc));
    return false;
  }
}

function fillSyncForm() {
  const schedule = config && config.sync ? config.sync.schedule : "daily";
  const select = $("#schedule-select");
  const seconds = $("#schedule-seconds");
  if (schedule === "daily" || schedule === "hourly") {
    select.value = schedule;
    seconds.value = "";
  } else {
    select.value = "custom";
    seconds.value = String(schedule);
  }
  $("#schedule-seconds-field").hidden = select.value !== "custom";
  $("#replicas-input").value = config && config.replicas ? String(config.replicas) : "";
  showError($("#sync-error"), "");
  $("#sync-saved").textContent = "";
}

async function saveSync(ev) {
  ev.preventDefault();
  const error = $("#sync-error");
  showError(error, "");
  $("#sync-saved").textContent = "";
  const select = $("#schedule-select").value;
  let schedule = select;
  if (select === "custom") {
    const raw = $("#schedule-seconds").value.trim();
    schedule = /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  const rawReplicas = $("#replicas-input").value.trim();
  const replicas = rawReplicas === "" ? null : /^-?\d+$/.test(rawReplicas) ? Number(rawReplicas) : rawReplicas;
  const button = $("#save-sync-button");
  button.disabled = true;
  try {
    config = await api.setConfig({ sync: { ...(config && config.sync), schedule }, replicas });
    fillSyncForm();
    $("#sync-saved").textContent = "Saved";
    onChanged();
  } catch (exc) {
    showError(error, exc.userMessage || String(exc));
  } finally {
    button.disabled = false;
  }
}

async function openSettings() {
  const dialog = $("#settings-dialog");
  showError($("#nodes-error"), "");
  try {
    config = await api.config();
  } catch (exc) {
    showError($("#nodes-error"), `Could not load the settings: ${exc.userMessage || exc}`);
  }
  renderPeerEditor();
  fillSyncForm();
  if (!dialog.open) dialog.showModal();
  $("#add-node-input").focus();
}

export function initNodes({ changed }) {
  onChanged = changed;
  $("#sync-button").addEventListener("click", syncNow);
  $("#settings-button").addEventListener("click", openSettings);
  $("#manage-nodes-button").addEventListener("click", openSettings);
  const dialog = $("#settings-dialog");
  $("#settings-close").addEventListener("click", () => dialog.close());
  closeOnBackdrop(dialog);
  $("#add-node-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = $("#add-node-input");
    const address = input.value.trim();
    if (!address) {
      showError($("#nodes-error"), "Type a node address as host:port, e.g. 192.168.1.10:8000.");
      input.focus();
      return;
    }
    if (await saveNodes([...((config && config.nodes) || []), address])) input.value = "";
    else input.focus();
  });
  $("#schedule-select").addEventListener("change", () => {
    const custom = $("#schedule-select").value === "custom";
    $("#schedule-seconds-field").hidden = !custom;
    if (custom) $("#schedule-seconds").focus();
  });
  $("#sync-form").addEventListener("submit", saveSync);
  return refreshNodes();
}
