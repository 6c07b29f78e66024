// Small progressive enhancements; every page works without this file.
"use strict";

function enhance(root) {
  // Selects marked js-autosubmit send their form on change; their submit button is then not needed.
  for (const select of root.querySelectorAll("select.js-autosubmit")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  for (const el of root.querySelectorAll(".js-hide")) {
    el.hidden = true;
  }
  // Forms that destroy something ask first.
  for (const form of root.querySelectorAll("form.js-confirm")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  for (const form of root.querySelectorAll("form[data-kind-switch]")) kindSwitch(form);
  for (const form of root.querySelectorAll("form.js-upload")) uploadWithProgress(form);
  for (const video of root.querySelectorAll("video[data-done-url]")) doneWhenWatched(video);
}

// A lesson form shows only the fields of the chosen kind of lesson.
function kindSwitch(form) {
  const select = form.querySelector("select.js-kind");
  const update = () => {
    for (const part of form.querySelectorAll(".for-kind")) {
      part.hidden = !part.dataset.kinds.split(" ").includes(select.value);
    }
  };
  select.addEventListener("change", update);
  update();
}

// Uploads go through XMLHttpRequest so the browser can show how far they are: on a slow link a large video
// takes minutes, and a page that looks frozen gets reloaded.
function uploadWithProgress(form) {
  const input = form.querySelector("input[type=file]");
  const box = form.querySelector(".upload-progress");
  if (!input || !box) return;
  const maxBytes = Number(document.body.dataset.maxUpload || 0);
  form.addEventListener("submit", (event) => {
    const file = input.files[0];
    if (!file || input.closest("[hidden]")) return;
    event.preventDefault();
    const error = form.querySelector(".upload-error");
    if (maxBytes && file.size > maxBytes) {
      error.textContent = form.dataset.tooLarge.replace("%(name)s", file.name);
      error.hidden = false;
      return;
    }
    const bar = box.querySelector("progress");
    const label = box.querySelector(".upload-percent");
    const button = form.querySelector("button[type=submit]");
    box.hidden = false;
    error.hidden = true;
    button.disabled = true;
    const xhr = new XMLHttpRequest();
    xhr.open(form.method, form.action || window.location.href);
    xhr.setRequestHeader("Accept", "application/json, text/html;q=0.9");
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((100 * e.loaded) / e.total);
      bar.value = percent;
      label.textContent = percent + "%";
    });
    xhr.addEventListener("load", () => {
      const type = xhr.getResponseHeader("Content-Type") || "";
      if (type.startsWith("application/json")) {
        const data = JSON.parse(xhr.responseText);
        if (data.redirect) {
          window.location.assign(data.redirect);
          return;
        }
      }
      // A form with errors (or an error page) comes back as HTML: show it in place of this page's content.
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const main = document.querySelector("main");
      main.replaceChildren(...page.querySelector("main").childNodes);
      enhance(main);
    });
    xhr.addEventListener("error", () => {
      error.hidden = false;
      button.disabled = false;
      box.hidden = true;
    });
    xhr.send(new FormData(form));
  });
}

// A video lesson is done when the cadet has watched it to the end.
function doneWhenWatched(video) {
  video.addEventListener("ended", () => {
    const body = new FormData();
    body.append("done", "1");
    body.append("csrf_token", document.querySelector("input[name=csrf_token]").value);
    fetch(video.dataset.doneUrl, { method: "POST", body, headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((data) => {
        for (const bar of document.querySelectorAll(".progress")) {
          bar.querySelector("meter").value = data.percent;
          bar.querySelector("span").textContent = data.label;
          bar.setAttribute("aria-valuenow", data.percent);
        }
      })
      .catch(() => {});
  }, { once: true });
}

document.addEventListener("DOMContentLoaded", () => enhance(document));
