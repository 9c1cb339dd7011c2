// Human-readable sizes, times and hashes for the page.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function humanBytes(bytes) {
  if (bytes === null || bytes === undefined || Number.isNaN(Number(bytes))) return "–";
  let n = Number(bytes);
  let unit = 0;
  while (Math.abs(n) >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${n} B`;
  const digits = n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return `${n.toFixed(digits)} ${UNITS[unit]}`;
}

export function shortHash(hash, length = 10) {
  return hash ? hash.slice(0, length) : "–";
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
});
const shortDateTime = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const dateOnly = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** A Date from an ISO string, seconds since the epoch, or a Date; null if there is none. */
export function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  const d = value instanceof Date ? value : typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(value) {
  const d = toDate(value);
  return d ? dateTime.format(d) : "–";
}

/** "Nov 25, 01:49": for places too narrow for the year. */
export function formatShortDateTime(value) {
  const d = toDate(value);
  return d ? shortDateTime.format(d) : "–";
}

export function formatClock(value) {
  const d = toDate(value);
  return d ? clock.format(d) : "";
}

/** "3 minutes ago", "yesterday", "just now"; "never" for no date. */
export function timeAgo(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return "never";
  const seconds = Math.round((d.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 10) return "just now";
  if (abs < 60) return relative.format(seconds, "second");
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
  if (abs < 86400 * 30) return relative.format(Math.round(seconds / 86400), "day");
  return dateOnly.format(d);
}

/** "3m ago", "2h ago", "just now": as short as it gets, for a stat card's big number. */
export function agoCompact(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return "never";
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 10) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** Seconds as "2 h 5 min", for uptime and schedules. */
export function duration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
