// Start a return: each photo uploads on its own as soon as it is picked, with progress,
// a thumbnail, a Remove button and a clear message per file. The form then carries the
// kept photos' ids, so a form that bounces keeps them. Without this script the plain
// file inputs are sent with the form and kept the same way by the server.
(() => {
  "use strict";
  const form = document.getElementById("start-return");
  if (!form || !form.dataset.uploadUrl || !window.FormData || !window.XMLHttpRequest) return;
  const csrf = form.querySelector('input[name="csrfmiddlewaretoken"]');
  const maxBytes = Number(form.dataset.photoMaxBytes || 0);
  const maxCount = Number(form.dataset.photoMaxCount || 0);
  const queue = [];
  let uploading = 0;

  const keptCount = () =>
    form.querySelectorAll("[data-photo-item] input[type=hidden]").length +
    form.querySelectorAll("[data-photo-item].is-uploading").length;

  function megabytes(bytes) {
    return (Math.ceil((bytes * 10) / (1024 * 1024)) / 10).toString();
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function removeButton(item, label, onClick) {
    const button = element("button", "btn btn-outline-secondary btn-sm ms-auto", label);
    button.type = "button";
    button.setAttribute("aria-label", `${label} ${item.dataset.name || "this photo"}`);
    button.addEventListener("click", onClick);
    return button;
  }

  function focusInput(field) {
    const input = field.querySelector('input[type="file"]');
    if (input) input.focus();
  }

  function showError(item, message) {
    if (sendWhenDone) failedWhileWaiting = true;
    item.classList.remove("is-uploading");
    item.classList.add("is-error");
    item.querySelectorAll("progress, .photo-state").forEach((el) => el.remove());
    const error = element("div", "photo-error", message);
    error.setAttribute("role", "alert");
    item.appendChild(error);
    item.appendChild(
      removeButton(item, "Dismiss", () => {
        const field = item.closest("[data-photo-field]");
        item.remove();
        focusInput(field);
      }),
    );
  }

  function showKept(item, field, photo) {
    item.classList.remove("is-uploading");
    item.querySelectorAll("progress, .photo-state").forEach((el) => el.remove());
    const img = element("img", "photo-thumb");
    img.src = photo.thumbnail;
    img.alt = "";
    img.width = 56;
    img.height = 56;
    item.insertBefore(img, item.firstChild);
    item.appendChild(element("span", "photo-state text-success small", "Added"));
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = field.dataset.pendingName;
    hidden.value = String(photo.id);
    item.appendChild(hidden);
    item.appendChild(removeButton(item, "Remove", () => remove(item, photo.remove)));
  }

  async function remove(item, url) {
    const field = item.closest("[data-photo-field]");
    const body = new FormData();
    body.append("csrfmiddlewaretoken", csrf ? csrf.value : "");
    try {
      const response = await fetch(url, { method: "POST", body, credentials: "same-origin" });
      if (!response.ok && response.status !== 404) throw new Error(String(response.status));
      item.remove();
      focusInput(field);
    } catch (error) {
      const note = item.querySelector(".photo-error") || element("div", "photo-error");
      note.textContent = "The photo could not be removed. Please try again.";
      note.setAttribute("role", "alert");
      item.appendChild(note);
    }
  }

  function send(task, attempt) {
    const { item, field, file } = task;
    const data = new FormData();
    data.append("csrfmiddlewaretoken", csrf ? csrf.value : "");
    data.append("line", field.dataset.lineId);
    data.append("kind", field.dataset.kind);
    data.append("photo", file, file.name);
    // Staff starting a return for a customer: the upload is for that customer's order.
    if (form.querySelector('input[name="for_customer"]')) data.append("for_customer", "1");
    const xhr = new XMLHttpRequest();
    const progress = item.querySelector("progress");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && progress) progress.value = Math.round((event.loaded / event.total) * 90);
    });
    xhr.addEventListener("load", () => {
      let answer = {};
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (error) {
        answer = {};
      }
      if (xhr.status === 201 && answer.id) {
        showKept(item, field, answer);
      } else if (xhr.status === 503 && attempt < 12) {
        // Busy with other photos (seconds), or uploads paused while room is made (minutes): wait as the
        // server asks, plus a little so retries spread out, and try again by itself.
        const state = item.querySelector(".photo-state");
        const wait = Number(xhr.getResponseHeader("Retry-After")) || 5;
        if (state) {
          state.textContent = wait > 60
            ? "Photo uploads are paused for a few minutes; this photo will be sent by itself when they resume."
            : "Waiting for the server…";
        }
        window.setTimeout(() => send(task, attempt + 1), (wait + Math.random() * 3) * 1000);
        return;
      } else {
        showError(item, answer.error || `“${file.name}” could not be uploaded. Please try again.`);
      }
      done();
    });
    xhr.addEventListener("error", () => {
      showError(item, `“${file.name}” could not be uploaded: the connection was lost. Please choose it again.`);
      done();
    });
    xhr.open("POST", form.dataset.uploadUrl);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.send(data);
  }

  function done() {
    uploading -= 1;
    next();
  }

  // Send pressed while photos upload: the form waits for them, then sends itself (unless one failed).
  let sendWhenDone = null;
  let failedWhileWaiting = false;

  function sendIfWaiting() {
    if (!sendWhenDone) return;
    const { button, label } = sendWhenDone;
    sendWhenDone = null;
    if (button) {
      button.textContent = label;
      button.removeAttribute("aria-disabled");
    }
    const note = document.getElementById("photo-wait");
    if (failedWhileWaiting) {
      failedWhileWaiting = false;
      if (note) {
        note.className = "text-danger small mt-2";
        note.textContent = "A photo could not be uploaded (see above). Your return has not been sent yet: check the photos, then send again.";
      }
      return;
    }
    if (note) note.remove();
    if (form.requestSubmit) form.requestSubmit(button || undefined);
    else form.submit();
  }

  function next() {
    // One upload at a time per page: gentler on phones' connections and on the server.
    if (uploading > 0) return;
    if (queue.length === 0) {
      sendIfWaiting();
      return;
    }
    uploading += 1;
    send(queue.shift(), 0);
  }

  function add(field, file) {
    const list = field.querySelector("[data-photo-list]");
    const item = element("li", "photo-item");
    item.dataset.photoItem = "";
    item.dataset.name = file.name;
    item.appendChild(element("span", "photo-name text-break", file.name));
    list.appendChild(item);
    if (maxBytes && file.size > maxBytes) {
      showError(
        item,
        `“${file.name}” is ${megabytes(file.size)} MB; photos can be at most ${megabytes(maxBytes)} MB each.`,
      );
      return;
    }
    if (maxCount && keptCount() >= maxCount) {
      showError(item, `“${file.name}” was not added: a return can have at most ${maxCount} photos.`);
      return;
    }
    item.classList.add("is-uploading");
    item.appendChild(element("span", "photo-state small text-body-secondary", "Uploading…"));
    const progress = element("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", `Uploading ${file.name}`);
    item.appendChild(progress);
    queue.push({ item, field, file });
    next();
  }

  form.querySelectorAll("[data-photo-field]").forEach((field) => {
    const input = field.querySelector('input[type="file"]');
    if (!input) return;
    input.addEventListener("change", () => {
      Array.from(input.files || []).forEach((file) => add(field, file));
      input.value = ""; // sent already: the form carries the kept photo's id instead
    });
  });

  // Photos kept by the server (after a bounce) get the same Remove as new ones.
  form.querySelectorAll("[data-photo-item] [data-remove-url]").forEach((button) => {
    button.type = "button";
    button.addEventListener("click", () => remove(button.closest("[data-photo-item]"), button.dataset.removeUrl));
  });

  form.addEventListener("submit", (event) => {
    const busy = uploading > 0 || queue.length > 0;
    const isEstimate = event.submitter && event.submitter.name === "estimate";
    if (busy && !isEstimate) {
      event.preventDefault();
      event.stopImmediatePropagation();
      if (sendWhenDone) return; // already waiting to send
      const button = event.submitter || form.querySelector("[data-submit-button]");
      sendWhenDone = { button, label: button ? button.textContent : "" };
      if (button) {
        button.textContent = "Sending when your photos are uploaded…";
        button.setAttribute("aria-disabled", "true");
      }
      const note = document.getElementById("photo-wait") || element("p", "small mt-2");
      note.id = "photo-wait";
      note.setAttribute("role", "status");
      note.textContent = "Your photos are still uploading. Your return will be sent as soon as they are done.";
      if (button) button.parentElement.after(note);
    }
  });
})();
