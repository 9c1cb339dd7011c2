// The statistics dashboard, from GET /api/stats.

import { api } from "./api.js";
import { agoCompact, formatShortDateTime, humanBytes, plural } from "./format.js";

function card(name) {
  const node = document.querySelector(`.stat[data-stat="${name}"]`);
  return {
    set(value, sub = "", tone = "") {
      node.querySelector(".stat-value").textContent = value;
      node.querySelector(".stat-sub").textContent = sub;
      node.dataset.tone = tone;
    },
  };
}

let lastStats = null;

export function renderStats(s) {
  lastStats = s;
  card("files").set(String(s.total_files), plural(s.total_versions, "version"));
  card("logical").set(humanBytes(s.total_size), "current files");
  // Stored holds every version and snapshot, not only the current files: say so, or it can read
  // as larger than "logical size" for no reason.
  card("stored").set(humanBytes(s.stored_bytes), `all versions and snapshots (${humanBytes(s.referenced_bytes || 0)})`);
  const ratio = Number(s.dedup_ratio) || 1;
  // Savings from the ratio as shown, so "1.00×" never sits above "1% saved".
  const saved = Math.round((1 - 1 / Number(ratio.toFixed(2))) * 100);
  card("ratio").set(`${ratio.toFixed(2)}×`, saved >= 1 ? `${saved}% less on disk` : "no savings yet", saved >= 1 ? "good" : "");
  const total = s.nodes_total ?? 1;
  const online = s.nodes_online ?? 1;
  card("nodes").set(`${online} / ${total}`, total <= 1 ? "this node only" : online < total ? `${total - online} offline` : "all online",
    online < total ? "warn" : "good");
  card("sync").set(s.last_sync ? agoCompact(s.last_sync) : "never", s.last_sync ? formatShortDateTime(s.last_sync) : "no sync yet");
  const errors = s.integrity_errors || 0;
  card("integrity").set(String(errors), errors ? "run dlbs check --repair" : "all chunks verified", errors ? "bad" : "good");
}

export async function refreshStats() {
  try {
    renderStats(await api.stats());
  } catch {
    if (!lastStats) card("files").set("–", "node unreachable", "warn");
  }
}
