// The return authorization's print button (hidden when scripts do not run).
(() => {
  "use strict";
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
  // Opened from "Print return authorization" on the return's page: print at once, one tap.
  if (document.querySelector("[data-print]") && new URLSearchParams(window.location.search).has("print")) {
    window.addEventListener("load", () => window.print());
  }
})();
