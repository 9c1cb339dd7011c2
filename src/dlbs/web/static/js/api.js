// The node's HTTP API as the page uses it (see docs/api-contract.md). Every failure is an ApiError
// carrying the server's `error` and `detail`, so the page can show them as they are.

export class ApiError extends Error {
  constructor(status, error, detail) {
    super(detail ? `${error}: ${detail}` : error);
    this.status = status;
    this.error = error;
    this.detail = detail || "";
  }

  /** The text to put in front of a user: the server's detail, else its error, else the status. */
  get userMessage() {
    return this.detail || this.error || `HTTP ${this.status}`;
  }
}

/** A logical path ("docs/a b.txt") as a URL path, each segment encoded, '/' kept. */
export function encodePath(path) {
  return path.split("/").map(encodeURIComponent).join("/");
}

export function fileUrl(path, version) {
  const base = `/api/v1/files/${encodePath(path)}`;
  return version ? `${base}?version=${encodeURIComponent(version)}` : base;
}

async function errorFrom(response) {
  let error = `HTTP ${response.status}`;
  let detail = response.statusText || "";
  try {
    const body = await response.json();
    if (body && typeof body === "object") {
      error = String(body.error || error);
      detail = String(body.detail || "");
    }
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiError(response.status, error, detail);
}

async function request(method, url, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (exc) {
    throw new ApiError(0, "node unreachable", "the node did not answer; is it still running?");
  }
  if (!response.ok) throw await errorFrom(response);
  return response.status === 204 ? null : response.json();
}

export const api = {
  listFiles: (prefix = "") => request("GET", `/api/v1/files?prefix=${encodeURIComponent(prefix)}`),
  history: (path) => request("GET", `/api/v1/history/${encodePath(path)}`),
  deleteFile: (path) => request("DELETE", `/api/v1/files/${encodePath(path)}`),
  restore: (path, version) => request("POST", `/api/v1/restore/${encodePath(path)}`, { version }),
  stats: () => request("GET", "/api/stats"),
  status: () => request("GET", "/api/v1/status"),
  config: () => request("GET", "/api/v1/config"),
  setConfig: (changes) => request("POST", "/api/v1/config", changes),
  setNodes: (nodes) => request("POST", "/api/nodes", { nodes }),
  sync: () => request("POST", "/api/sync", {}),
  recentEvents: (after = 0) => request("GET", `/api/v1/events/recent?after=${after}`),
  snapshots: () => request("GET", "/api/v1/snapshots"),
  snapshotEntries: (id, prefix = "") =>
    request("GET", `/api/v1/snapshots/${encodeURIComponent(id)}?prefix=${encodeURIComponent(prefix)}&depth=1`),
  startBackup: (paths, exclude) => request("POST", "/api/v1/backups", { paths, exclude }),
  startRestore: (snapshot, path, target, overwrite) => request("POST", "/api/v1/restores", { snapshot, path, target, overwrite }),
  jobs: () => request("GET", "/api/v1/jobs"),
  job: (id) => request("GET", `/api/v1/jobs/${encodeURIComponent(id)}`),
};

/**
 * Upload `file` as the raw body of PUT /api/v1/files/<path>, reporting progress.
 * Returns {promise, abort}; the promise resolves to the new version or rejects with an ApiError.
 */
export function uploadFile(path, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("PUT", fileUrl(path));
    xhr.responseType = "json";
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    if (Number.isFinite(file.lastModified)) {
      // Milliseconds to nanoseconds exactly: the product is past Number's 2^53.
      xhr.setRequestHeader("X-Dlbs-Mtime-Ns", (BigInt(Math.trunc(file.lastModified)) * 1000000n).toString());
    }
    xhr.upload.addEventListener("progress", (ev) => {
      if (ev.lengthComputable) onProgress(ev.loaded, ev.total);
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve(body);
      } else {
        const error = body && body.error ? String(body.error) : `HTTP ${xhr.status}`;
        reject(new ApiError(xhr.status, error, body && body.detail ? String(body.detail) : ""));
      }
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "upload failed", "the connection to the node was lost")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "cancelled", "upload cancelled")));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}
