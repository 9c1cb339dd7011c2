// Wires the page together: each module owns one panel; events from the node refresh what changed.

import { closeSnapshot, initBrowse, openSnapshot } from "./browse.js";
import { currentFolder, initFiles, refreshFiles, renderFiles } from "./files.js";
import { initHistory, openHistory, refreshHistory } from "./history.js";
import { hydrateIcons } from "./icons.js";
import { initLog } from "./log.js";
import { followJob, initJobs } from "./jobs.js";
import { initNodes, refreshNodes } from "./nodes.js";
import { initRestore, openRestore } from "./restore.js";
import { initSnapshots, refreshSnapshots, renderSnapshots } from "./snapshots.js";
import { refreshStats } from "./stats.js";
import { initTheme } from "./theme.js";
import { toast } from "./toast.js";
import { initUpload } from "./upload.js";

/** Coalesce bursts (a folder upload makes hundreds of events) into one refresh per panel. */
function debounced(fn, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

const refreshFilesSoon = debounced(() => { refreshFiles(); refreshHistory(); }, 250);
const refreshStatsSoon = debounced(refreshStats, 400);
const refreshNodesSoon = debounced(refreshNodes, 400);
const refreshSnapshotsSoon = debounced(refreshSnapshots, 250);

function changed() {
  refreshFilesSoon();
  refreshStatsSoon();
  refreshNodesSoon();
}

function onEvent(ev) {
  if (["upload", "delete", "restore", "sync", "backup"].includes(ev.kind)) {
    refreshFilesSoon();
    refreshStatsSoon();
  }
  if (["peer", "sync", "config", "node", "integrity"].includes(ev.kind)) {
    refreshNodesSoon();
    refreshStatsSoon();
  }
  const job = ev.data && ev.data.job;
  if (job && ev.level === "info" && ["backup", "restore", "check"].includes(ev.kind)) {
    followJob(job); // started elsewhere: the CLI, the schedule, another tab
  }
  // A backup ended here, or snapshots arrived from a peer.
  if ((ev.kind === "backup" && ev.level !== "info") || ev.kind === "sync") refreshSnapshotsSoon();
}

/** A backup or restore the page follows has ended: say so, and show the new snapshot. */
function jobFinished(job) {
  const what = job.kind === "backup" ? "Backup" : job.kind === "restore" ? "Restore" : "Check";
  if (job.state === "done") {
    const r = job.result || {};
    const text = job.kind === "backup" ? `Backup done: snapshot ${r.short_id || ""}`.trim()
      : job.kind === "restore" ? `Restored into ${r.target || "the target"}` : `${what} done`;
    toast(text, "success");
  } else {
    const e = job.error || {};
    toast(`${what} failed: ${e.detail || e.error || "see the activity log"}`, "error", 8000);
  }
  if (job.kind === "backup") refreshSnapshotsSoon();
  refreshStatsSoon();
}

function start() {
  hydrateIcons();
  initTheme();
  initHistory({ changed });
  initFiles({ onHistory: openHistory });
  initUpload({ currentFolder, uploaded: refreshFilesSoon });
  initNodes({ changed });
  initRestore({ started: closeSnapshot });
  initBrowse({ onRestore: openRestore });
  initSnapshots({ onBrowse: openSnapshot, onRestore: openRestore });
  initJobs({ onFinish: jobFinished });
  refreshStats();
  initLog({ event: onEvent });
  // Ages ("3 minutes ago") and peer states drift: refresh the slow-moving panels now and then.
  // (renderFiles only redraws; the list itself changes through events.)
  setInterval(() => {
    if (document.visibilityState === "visible") {
      refreshStats();
      refreshNodes();
      renderFiles();
      renderSnapshots();
    }
  }, 15000);
}

start();
