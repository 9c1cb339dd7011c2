// The activity log: a console-style list fed live by server-sent events (GET /api/v1/events).
// EventSource reconnects by itself and resumes after the last event id it saw; ids de-duplicate.

import { $, el } from "./dom.js";
import { formatClock, formatDateTime } from "./format.js";

const MAX_LINES = 400;
const LEVELS = new Set(["info", "success", "warning", "error"]);
let lastId = 0;
let source = null;
let retryTimer = null;
let onEvent = () => {};

function setLive(state, text) {
  const pill = $("#live-pill");
  pill.dataset.state = state;
  pill.querySelector(".live-text").textContent = text;
}

function append(ev) {
  if (typeof ev.id === "number") {
    if (ev.id <= lastId) return;
    lastId = ev.id;
  }
  const log = $("#log");
  const stick = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
  const level = LEVELS.has(ev.level) ? ev.level : "info";
  const when = typeof ev.time === "number" ? ev.time : Date.now() / 1000;
  log.append(el("li", { class: `log-line log-${level}`, dataset: { kind: ev.kind || "", level } },
    el("time", { class: "log-time", datetime: new Date(when * 1000).toISOString(), title: formatDateTime(when) }, formatClock(when)),
    el("span", { class: "log-level" }, level),
    el("span", { class: "log-kind" }, ev.kind || "node"),
    el("span", { class: "log-message" }, ev.message || "")));
  while (log.children.length > MAX_LINES) log.firstElementChild.remove();
  if (stick) log.scrollTop = log.scrollHeight;
}

/** A line written by the page itself (e.g. "connection lost"), not by the node. */
export function localLine(message, level = "info") {
  append({ time: Date.now() / 1000, kind: "page", level, message });
}

function connect() {
  clearTimeout(retryTimer);
  if (source) source.close();
  const url = lastId ? `/api/v1/events?after=${lastId}` : "/api/v1/events";
  source = new EventSource(url);
  source.onopen = () => setLive("live", "live");
  source.onmessage = (msg) => handle(msg);
  for (const kind of ["upload", "delete", "restore", "sync", "peer", "integrity", "config", "node", "backup", "check"]) {
    source.addEventListener(kind, (msg) => handle(msg));
  }
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      setLive("offline", "offline");
      retryTimer = setTimeout(connect, 5000);
    } else {
      setLive("connecting", "reconnecting");
    }
  };
}

function handle(msg) {
  let ev;
  try {
    ev = JSON.parse(msg.data);
  } catch {
    return;
  }
  if (!ev || typeof ev !== "object") return;
  const fresh = typeof ev.id !== "number" || ev.id > lastId;
  append(ev);
  if (fresh) onEvent(ev);
}

export function initLog({ event }) {
  onEvent = event;
  $("#log-clear").addEventListener("click", () => $("#log").replaceChildren());
  connect();
}
