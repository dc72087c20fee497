// Start a return: show the parts of each line that apply, keep the refund estimate
// up to date, and send the request once. The page works without this script.
(() => {
  "use strict";
  const form = document.getElementById("start-return");
  if (!form) return;
  const FAULT_REASONS = ["damaged", "defective", "wrong_item"];
  const region = document.getElementById("estimate");
  const submitButton = form.querySelector("[data-submit-button]");
  const submitLabel = submitButton ? submitButton.textContent : "";

  function syncLine(fieldset) {
    const box = fieldset.querySelector("[data-select-line]");
    const details = fieldset.querySelector("[data-line-details]");
    const reason = fieldset.querySelector("[data-reason]");
    const value = reason ? reason.value : "";
    const fault = FAULT_REASONS.includes(value);
    if (details) details.hidden = !(box && box.checked);
    fieldset.querySelectorAll('[data-when="fault"]').forEach((el) => { el.hidden = !fault; });
    fieldset.querySelectorAll('[data-when="standard"]').forEach((el) => { el.hidden = fault || value === ""; });
  }

  let timer = null;
  let controller = null;
  function refreshEstimate(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      if (controller) controller.abort();
      controller = new AbortController();
      const data = new FormData(form);
      // Photos play no part in the estimate: do not upload them twice.
      form.querySelectorAll('input[type="file"]').forEach((input) => data.delete(input.name));
      data.delete("estimate");
      region.setAttribute("aria-busy", "true");
      try {
        const response = await fetch(form.dataset.estimateUrl, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          signal: controller.signal,
        });
        if (response.ok) region.innerHTML = await response.text();
      } catch (error) {
        // Keep the last estimate; the "Update the estimate" button still works without the script.
      } finally {
        region.removeAttribute("aria-busy");
      }
    }, delay);
  }

  form.querySelectorAll("[data-line]").forEach(syncLine);

  form.addEventListener("change", (event) => {
    const fieldset = event.target.closest("[data-line]");
    if (fieldset) syncLine(fieldset);
    if (event.target.type !== "file") refreshEstimate(150);
  });
  form.addEventListener("input", (event) => {
    if (event.target.type === "number") refreshEstimate(400);
  });

  let sent = false;
  form.addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.name === "estimate") {
      event.preventDefault();
      refreshEstimate(0);
      return;
    }
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
    if (submitButton) {
      submitButton.disabled = true;
      submitButton.textContent = "Sending…";
    }
  });

  // Back from the next page (bfcache): the same submission key is sent again, and the
  // server shows the return already made instead of making a second one.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && submitButton) {
      sent = false;
      submitButton.disabled = false;
      submitButton.textContent = submitLabel;
    }
  });

  const problems = document.getElementById("form-problems");
  if (problems) problems.focus();
})();
