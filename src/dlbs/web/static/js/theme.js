// Dark (default) and light themes; the choice is remembered in localStorage.

import { $ } from "./dom.js";
import { setIcon } from "./icons.js";

const KEY = "dlbs-theme";

function apply(theme) {
  document.documentElement.dataset.theme = theme;
  const button = $("#theme-button");
  const next = theme === "dark" ? "light" : "dark";
  button.setAttribute("aria-label", `Switch to ${next} theme`);
  button.title = `Switch to ${next} theme`;
  setIcon(button.querySelector("[data-icon]"), theme === "dark" ? "sun" : "moon");
}

export function initTheme() {
  apply(document.documentElement.dataset.theme === "light" ? "light" : "dark");
  $("#theme-button").addEventListener("click", () => {
    const theme = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(KEY, theme);
    } catch {
      /* private mode: the toggle still works for this visit */
    }
    apply(theme);
  });
}
