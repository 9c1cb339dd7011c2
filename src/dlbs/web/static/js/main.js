// Wires the page together: each module owns one panel; events from the node refresh what changed.

import { currentFolder, initFiles, refreshFiles, renderFiles } from "./files.js";
import { initHistory, openHistory, refreshHistory } from "./history.js";
import { hydrateIcons } from "./icons.js";
import { initLog } from "./log.js";
import { initNodes, refreshNodes } from "./nodes.js";
import { refreshStats } from "./stats.js";
import { initTheme } from "./theme.js";
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
}

function start() {
  hydrateIcons();
  initTheme();
  initHistory({ changed });
  initFiles({ onHistory: openHistory });
  initUpload({ currentFolder, uploaded: refreshFilesSoon });
  initNodes({ changed });
  refreshStats();
  initLog({ event: onEvent });
  // Ages ("3 minutes ago") and peer states drift: refresh the slow-moving panels now and then.
  // (renderFiles only redraws; the list itself changes through events.)
  setInterval(() => {
    if (document.visibilityState === "visible") {
      refreshStats();
      refreshNodes();
      renderFiles();
    }
  }, 15000);
}

start();
