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
  for (const video of root.querySelectorAll("video[data-played-url]")) reportPlayed(video);
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

// A video lesson is done when the cadet has played most of it: seeking to the end plays nothing. The browser's own
// record of the parts played (video.played) goes to the server every 10 seconds of playing, on pause, at the end
// and when the page is left; the server credits it no faster than the clock allows and answers with the lesson's
// state, which the page shows at once: the share played, then "Done", the course's progress and its completion.
function reportPlayed(video) {
  const state = document.getElementById("watch-state");
  let finished = false;
  const body = () => {
    const ranges = [];
    for (let i = 0; i < video.played.length; i++) ranges.push([video.played.start(i), video.played.end(i)]);
    const data = new FormData();
    data.append("csrf_token", document.querySelector("input[name=csrf_token]").value);
    data.append("ranges", JSON.stringify(ranges));
    data.append("duration", String(video.duration || 0));
    return data;
  };
  const show = (data) => {
    if (state && !finished) state.querySelector(".watched").textContent = data.watched_label;
    for (const bar of document.querySelectorAll(".progress")) {
      bar.querySelector("meter").value = data.percent;
      bar.querySelector("span").textContent = data.label;
      bar.setAttribute("aria-valuenow", data.percent);
    }
    if (data.lesson_done && !finished) {
      finished = true;
      const badge = document.createElement("span");
      badge.className = "badge ok";
      badge.textContent = state ? state.dataset.tDone : "";
      if (state) state.replaceChildren(badge);
      const current = document.querySelector('.outline [aria-current="page"]');
      if (current) current.closest("li").classList.add("done");
    }
    if (data.message) {
      const note = document.createElement("p");
      note.className = "flash flash-success";
      note.setAttribute("role", "status");
      note.textContent = data.message;
      document.querySelector("main").prepend(note);
    }
  };
  const send = () => {
    if (finished || !video.played.length) return;
    fetch(video.dataset.playedUrl, { method: "POST", body: body(), headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => data && show(data))
      .catch(() => {});
  };
  setInterval(() => { if (!video.paused) send(); }, 10000);
  video.addEventListener("pause", send);
  video.addEventListener("ended", send);
  window.addEventListener("pagehide", () => {
    if (!finished && video.played.length) navigator.sendBeacon(video.dataset.playedUrl, body());
  });
}

document.addEventListener("DOMContentLoaded", () => enhance(document));
