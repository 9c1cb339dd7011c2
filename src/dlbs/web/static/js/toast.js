// Short notices in the corner ("Deleted a.txt"), announced to screen readers, gone after a while.

import { el } from "./dom.js";
import { icon } from "./icons.js";

const ICONS = { success: "check", error: "alert", warning: "alert", info: "history" };

export function toast(message, level = "info", ms = 4500) {
  const box = document.getElementById("toasts");
  const node = el("div", { class: `toast toast-${level}` }, icon(ICONS[level] || "history"), el("span", {}, message));
  box.append(node);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => {
    node.classList.add("toast-out");
    setTimeout(() => node.remove(), 250);
  }, ms);
}
