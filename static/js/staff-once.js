// Staff forms that change something send once: a second click (or Enter) while the page
// changes does nothing, and the buttons are disabled. The clicked button's name goes with
// the form as a hidden field, since a disabled button is not submitted (the inspection's
// Preview / Confirm / Change buttons are told apart by name).
(() => {
  "use strict";
  if (window.alotropStaffOnce) return; // included by more than one template on some pages
  window.alotropStaffOnce = true;
  const buttons = (form) => form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]');
  const guard = (form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      const by = event.submitter;
      if (by && by.name) {
        const carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = by.name;
        carried.value = by.value;
        carried.dataset.carried = "1";
        form.appendChild(carried);
      }
      buttons(form).forEach((button) => { button.disabled = true; });
    });
  };
  const ready = () => document.querySelectorAll('form[method="post"], form[method="POST"]').forEach(guard);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  // Back to a page from the history cache: its forms work again.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach((form) => {
      delete form.dataset.sent;
      form.querySelectorAll("input[data-carried]").forEach((input) => input.remove());
      buttons(form).forEach((button) => { button.disabled = false; });
    });
  });
})();
