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

  // --- The same checks as the server, before sending; each error clears once fixed. ---

  function errorBox(input) {
    return document.getElementById(`${input.id}_error`);
  }

  function showError(input, message) {
    let box = errorBox(input);
    if (!box) {
      box = document.createElement("div");
      box.id = `${input.id}_error`;
      box.className = "invalid-feedback d-block";
      const anchor = input.closest(".form-check, .mb-3") || input.parentElement;
      anchor.appendChild(box);
    }
    box.textContent = message;
    input.classList.add("is-invalid");
    input.setAttribute("aria-invalid", "true");
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!described.includes(box.id)) input.setAttribute("aria-describedby", [...described, box.id].join(" "));
  }

  function clearError(input) {
    const box = errorBox(input);
    if (box) box.remove();
    input.classList.remove("is-invalid");
    input.removeAttribute("aria-invalid");
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== `${input.id}_error`);
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  // The message a field of a ticked line shows now, or "" when it is fine (the server's rules, same words).
  function problemOf(input) {
    const fieldset = input.closest("[data-line]");
    const box = fieldset && fieldset.querySelector("[data-select-line]");
    if (!box || !box.checked) return "";
    const reason = fieldset.querySelector("[data-reason]");
    const reasonValue = reason ? reason.value : "";
    if (input.type === "number") {
      if (input.value.trim() === "") return input.dataset.msgMissing;
      const n = Number(input.value);
      if (!Number.isInteger(n) || n < 1) return input.dataset.msgMin;
      if (input.max && n > Number(input.max)) return input.dataset.msgMax;
      return "";
    }
    if (input.type === "checkbox") {
      const standard = reasonValue !== "" && !FAULT_REASONS.includes(reasonValue);
      return standard && !input.checked ? input.dataset.msgMissing : "";
    }
    if (input.dataset.requiredWhen === "fault" && !FAULT_REASONS.includes(reasonValue)) return "";
    return input.value.trim() === "" ? input.dataset.msgMissing : "";
  }

  function checkedFields() {
    return Array.from(form.querySelectorAll("[data-line] [data-msg-missing]"));
  }

  function nothingChosenShown(show) {
    const problems = document.getElementById("form-problems");
    let note = document.querySelector("[data-nothing-chosen]");
    if (!show) {
      if (note) note.remove();
      // The summary goes too when nothing else is left in it.
      if (problems && !problems.querySelector("p, li")) problems.remove();
      return;
    }
    if (!note) {
      note = document.createElement("div");
      note.className = "alert alert-danger";
      note.setAttribute("role", "alert");
      note.setAttribute("data-nothing-chosen", "");
      note.textContent = form.dataset.msgNothingChosen;
      form.prepend(note);
    }
  }

  function validate() {
    const boxes = Array.from(form.querySelectorAll("[data-select-line]"));
    if (!boxes.some((box) => box.checked)) {
      nothingChosenShown(true);
      if (boxes[0]) boxes[0].focus();
      return false;
    }
    let first = null;
    checkedFields().forEach((input) => {
      const message = problemOf(input);
      if (message) {
        showError(input, message);
        if (!first) first = input;
      } else if (input.classList.contains("is-invalid")) {
        clearError(input);
      }
    });
    if (first) first.focus();
    return !first;
  }

  // An error goes away as soon as what it asks for is done.
  function recheck(event) {
    const input = event.target;
    if (input.matches("[data-select-line]") && input.checked) nothingChosenShown(false);
    const fieldset = input.closest("[data-line]");
    if (!fieldset) return;
    fieldset.querySelectorAll("[data-msg-missing].is-invalid").forEach((field) => {
      if (!problemOf(field)) clearError(field);
    });
  }
  form.addEventListener("input", recheck);
  form.addEventListener("change", recheck);

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
    if (!validate()) {
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
