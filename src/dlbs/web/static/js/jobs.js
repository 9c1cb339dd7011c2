// Long-running work on the node (backups, restores, checks) as cards with a progress bar, in the
// Snapshots panel. Each card polls GET /api/v1/jobs/<id> every POLL_MS until the job ends.

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { humanBytes, plural } from "./format.js";
import { icon } from "./icons.js";

const POLL_MS = 500;
const KEEP_DONE_MS = 20000;
const ICONS = { backup: "archive", restore: "restore", check: "check" };
const tracked = new Map(); // job id -> card
const seen = new Set(); // every job id ever shown: a dismissed card does not come back
let finished = () => {};

function updateList() {
  const list = $("#job-list");
  list.hidden = list.children.length === 0;
}

function percent(p) {
  if (p.bytes_total) return Math.min(100, Math.round((100 * (p.bytes_done || 0)) / p.bytes_total));
  if (p.files_total) return Math.min(100, Math.round((100 * (p.files_done || 0)) / p.files_total));
  if (p.chunks_total) return Math.min(100, Math.round((100 * (p.chunks_checked || 0)) / p.chunks_total));
  return null;
}

/** "3 of 10 files · 1.20 MiB of 4.00 MiB · 30%", or what the job has told so far. */
function progressText(p) {
  const pct = percent(p);
  if (pct === null) return "starting…";
  const parts = [];
  if (p.files_total !== undefined) parts.push(`${p.files_done || 0} of ${plural(p.files_total, "file")}`);
  if (p.bytes_total !== undefined) parts.push(`${humanBytes(p.bytes_done || 0)} of ${humanBytes(p.bytes_total)}`);
  if (p.chunks_total !== undefined) parts.push(`${p.chunks_checked || 0} of ${plural(p.chunks_total, "chunk")}`);
  parts.push(`${pct}%`);
  return parts.join(" · ");
}

function resultText(job) {
  const r = job.result || {};
  if (job.kind === "backup") {
    const parts = [`snapshot ${r.short_id || ""}`.trim(), plural(r.files || 0, "file"), humanBytes(r.size)];
    if (r.added_bytes !== undefined) parts.push(`${humanBytes(r.added_bytes)} new`);
    return `Done: ${parts.join(" · ")}`;
  }
  if (job.kind === "restore") return `Done: ${plural(r.files_done || 0, "file")} · ${humanBytes(r.bytes_done)} into ${r.target || "the target"}`;
  if (job.kind === "check") return r.ok ? "Done: no problems found" : "Done: problems found (see the activity log)";
  return "Done";
}

function render(card, job) {
  card.job = job;
  card.node.dataset.state = job.state;
  const p = job.progress || {};
  let pct = percent(p);
  if (job.state === "done") pct = 100;
  card.fill.style.width = `${pct === null ? 0 : pct}%`;
  card.bar.dataset.indeterminate = String(pct === null && job.state === "running");
  if (pct === null) card.bar.removeAttribute("aria-valuenow");
  else card.bar.setAttribute("aria-valuenow", String(pct));
  if (job.state === "running") {
    card.status.textContent = progressText(p);
    card.detail.textContent = p.current || "";
  } else if (job.state === "done") {
    card.status.textContent = "done";
    card.detail.textContent = resultText(job);
  } else {
    const e = job.error || {};
    card.status.textContent = "failed";
    card.detail.textContent = [e.error, e.detail].filter(Boolean).join(": ") || "the job failed";
  }
  card.detail.hidden = !card.detail.textContent;
  if (job.state !== "running") {
    card.dismiss.setAttribute("aria-label", `Dismiss: ${job.title}`);
    card.dismiss.title = "Dismiss";
  }
}

function makeCard(job) {
  const fill = el("div", { class: "bar-fill" });
  const bar = el("div", {
    class: "bar job-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": `Progress: ${job.title}`,
  }, fill);
  const status = el("span", { class: "job-status" });
  const detail = el("p", { class: "job-detail" });
  const dismiss = el("button", { type: "button", class: "btn btn-icon btn-small", "aria-label": `Hide: ${job.title}`, title: "Hide" }, icon("close"));
  const node = el("li", { class: "job", tabindex: "-1", dataset: { job: job.id, kind: job.kind } },
    el("div", { class: "job-line" },
      el("span", { class: "job-icon" }, icon(ICONS[job.kind] || "history")),
      el("span", { class: "job-title", title: job.title }, job.title),
      status,
      dismiss),
    bar,
    detail);
  const card = { node, bar, fill, status, detail, dismiss, job, timer: null, gone: false };
  dismiss.addEventListener("click", () => remove(card));
  return card;
}

function remove(card) {
  card.gone = true;
  clearTimeout(card.timer);
  tracked.delete(card.job.id);
  const focused = card.node.contains(document.activeElement);
  card.node.remove();
  updateList();
  if (focused) $("#backup-button").focus();
}

async function poll(card) {
  if (card.gone) return;
  let job = card.job;
  try {
    job = await api.job(job.id);
    card.misses = 0;
  } catch (exc) {
    card.misses = (card.misses || 0) + 1;
    if (exc.status === 404 || card.misses > 20) {
      job = { ...job, state: "failed", error: { error: "lost track of the job", detail: exc.userMessage || String(exc) } };
    }
  }
  if (card.gone) return;
  render(card, job);
  if (job.state === "running") {
    card.timer = setTimeout(() => poll(card), POLL_MS);
    return;
  }
  if (job.state === "done") card.timer = setTimeout(() => remove(card), KEEP_DONE_MS);
  finished(job);
}

/** Show `job` (as POST /backups or /restores answered it) and follow it to its end. */
export function trackJob(job) {
  if (tracked.has(job.id)) return tracked.get(job.id).node;
  seen.add(job.id);
  const card = makeCard(job);
  tracked.set(job.id, card);
  $("#job-list").prepend(card.node);
  updateList();
  render(card, job);
  card.timer = setTimeout(() => poll(card), job.state === "running" ? POLL_MS : 0);
  return card.node;
}

/** A job the page did not start (the CLI, the schedule, another tab) announced itself by an event. */
export async function followJob(id) {
  if (!id || seen.has(id)) return;
  seen.add(id);
  try {
    const job = await api.job(id);
    if (job.state === "running") trackJob(job);
  } catch {
    /* already forgotten by the node */
  }
}

/** Follow jobs already running on the node (started elsewhere, or before a reload). */
export async function initJobs({ onFinish }) {
  finished = onFinish;
  try {
    const { jobs } = await api.jobs();
    for (const job of jobs.filter((j) => j.state === "running" && ICONS[j.kind]).reverse()) trackJob(job);
  } catch {
    /* the node is unreachable: the live pill says so */
  }
}
