// @ts-check
// Small progressive enhancements; every page works without this file. A classic script (base.html loads it on
// every page), so its functions are globals: only enhance() is meant to be called from elsewhere.
"use strict";

/**
 * Enhances the page, or the part of it that was just replaced.
 * @param {ParentNode} root
 */
function enhance(root) {
  // Selects marked js-autosubmit send their form on change; their submit button is then not needed.
  for (const select of root.querySelectorAll("select.js-autosubmit")) {
    const field = /** @type {HTMLSelectElement} */ (select);
    field.addEventListener("change", () => /** @type {HTMLFormElement} */ (field.form).requestSubmit());
  }
  for (const el of root.querySelectorAll(".js-hide")) {
    /** @type {HTMLElement} */ (el).hidden = true;
  }
  // Forms that destroy something ask first.
  for (const form of root.querySelectorAll("form.js-confirm")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(/** @type {HTMLFormElement} */ (form).dataset.confirm)) event.preventDefault();
    });
  }
  for (const form of root.querySelectorAll("form[data-kind-switch]")) {
    kindSwitch(/** @type {HTMLFormElement} */ (form));
  }
  for (const form of root.querySelectorAll("form.js-upload")) {
    uploadWithProgress(/** @type {HTMLFormElement} */ (form));
  }
  for (const video of root.querySelectorAll("video[data-played-url]")) {
    reportPlayed(/** @type {HTMLVideoElement} */ (video));
  }
}

/**
 * A lesson form shows only the fields of the chosen kind of lesson.
 * @param {HTMLFormElement} form
 */
function kindSwitch(form) {
  const select = /** @type {HTMLSelectElement} */ (form.querySelector("select.js-kind"));
  const update = () => {
    for (const part of form.querySelectorAll(".for-kind")) {
      const el = /** @type {HTMLElement} */ (part);
      el.hidden = !(el.dataset.kinds || "").split(" ").includes(select.value);
    }
  };
  select.addEventListener("change", update);
  update();
}

/**
 * Uploads go through XMLHttpRequest so the browser can show how far they are: on a slow link a large video
 * takes minutes, and a page that looks frozen gets reloaded.
 * @param {HTMLFormElement} form
 */
function uploadWithProgress(form) {
  const input = /** @type {HTMLInputElement | null} */ (form.querySelector("input[type=file]"));
  const box = /** @type {HTMLElement | null} */ (form.querySelector(".upload-progress"));
  if (!input || !box) return;
  const maxBytes = Number(document.body.dataset.maxUpload || 0);
  form.addEventListener("submit", (event) => {
    const file = input.files && input.files[0];
    if (!file || input.closest("[hidden]")) return;
    event.preventDefault();
    const error = /** @type {HTMLElement} */ (form.querySelector(".upload-error"));
    if (maxBytes && file.size > maxBytes) {
      error.textContent = (form.dataset.tooLarge || "").replace("%(name)s", file.name);
      error.hidden = false;
      return;
    }
    const bar = /** @type {HTMLProgressElement} */ (box.querySelector("progress"));
    const label = /** @type {HTMLElement} */ (box.querySelector(".upload-percent"));
    const button = /** @type {HTMLButtonElement} */ (form.querySelector("button[type=submit]"));
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
      const main = /** @type {HTMLElement} */ (document.querySelector("main"));
      main.replaceChildren(.../** @type {HTMLElement} */ (page.querySelector("main")).childNodes);
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

/**
 * @typedef {object} PlayedReply  the server's answer to a report of the parts played
 * @property {string} watched_label  the share played, in words
 * @property {number} percent  the course's progress
 * @property {string} label  the course's progress, in words
 * @property {boolean} lesson_done
 * @property {string} [message]  the course is complete, say so
 */

/**
 * A video lesson is done when the cadet has played most of it: seeking to the end plays nothing. The browser's own
 * record of the parts played (video.played) goes to the server every 10 seconds of playing, on pause, at the end
 * and when the page is left; the server credits it no faster than the clock allows and answers with the lesson's
 * state, which the page shows at once: the share played, then "Done", the course's progress and its completion.
 * @param {HTMLVideoElement} video
 */
function reportPlayed(video) {
  const url = video.dataset.playedUrl || "";
  const state = document.getElementById("watch-state");
  let finished = false;
  const body = () => {
    const ranges = [];
    for (let i = 0; i < video.played.length; i++) ranges.push([video.played.start(i), video.played.end(i)]);
    const data = new FormData();
    const token = /** @type {HTMLInputElement} */ (document.querySelector("input[name=csrf_token]"));
    data.append("csrf_token", token.value);
    data.append("ranges", JSON.stringify(ranges));
    data.append("duration", String(video.duration || 0));
    return data;
  };
  /** @param {PlayedReply} data */
  const show = (data) => {
    if (state && !finished) {
      /** @type {HTMLElement} */ (state.querySelector(".watched")).textContent = data.watched_label;
    }
    for (const bar of document.querySelectorAll(".progress")) {
      /** @type {HTMLMeterElement} */ (bar.querySelector("meter")).value = data.percent;
      /** @type {HTMLElement} */ (bar.querySelector("span")).textContent = data.label;
      bar.setAttribute("aria-valuenow", String(data.percent));
    }
    if (data.lesson_done && !finished) {
      finished = true;
      const badge = document.createElement("span");
      badge.className = "badge ok";
      badge.textContent = state ? state.dataset.tDone || "" : "";
      if (state) state.replaceChildren(badge);
      const current = document.querySelector('.outline [aria-current="page"]');
      if (current) /** @type {HTMLLIElement} */ (current.closest("li")).classList.add("done");
    }
    if (data.message) {
      const note = document.createElement("p");
      note.className = "flash flash-success";
      note.setAttribute("role", "status");
      note.textContent = data.message;
      /** @type {HTMLElement} */ (document.querySelector("main")).prepend(note);
    }
  };
  const send = () => {
    if (finished || !video.played.length) return;
    fetch(url, { method: "POST", body: body(), headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => data && show(data))
      .catch(() => {});
  };
  setInterval(() => { if (!video.paused) send(); }, 10000);
  video.addEventListener("pause", send);
  video.addEventListener("ended", send);
  window.addEventListener("pagehide", () => {
    if (!finished && video.played.length) navigator.sendBeacon(url, body());
  });
}

document.addEventListener("DOMContentLoaded", () => enhance(document));
