// Applies the remembered theme before first paint (a classic script, so the page never flashes).
(function () {
  try {
    var saved = localStorage.getItem("dlbs-theme");
    if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
  } catch (e) { /* storage may be unavailable; keep the default */ }
})();
