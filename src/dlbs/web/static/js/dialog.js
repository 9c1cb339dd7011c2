// The confirmation dialog (a native <dialog>: focus is trapped, Escape cancels).

import { $ } from "./dom.js";

/** Ask the user; resolves true only when they press the confirm button. */
export function confirmAction({ title, text, confirmLabel = "Delete" }) {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = confirmLabel;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    $("#confirm-cancel").focus();
  });
}

/** Close a <dialog> when its backdrop (the dialog box's outside) is clicked. */
export function closeOnBackdrop(dialog) {
  dialog.addEventListener("click", (ev) => {
    if (ev.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    const inside = ev.clientX >= r.left && ev.clientX <= r.right && ev.clientY >= r.top && ev.clientY <= r.bottom;
    if (!inside) dialog.close();
  });
}
