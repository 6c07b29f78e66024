// @ts-check
// The import progress page: polls the job's state every second, then reloads to show the course or the problems.
"use strict";

/**
 * @typedef {object} ImportJob  the job's state, as the poll URL answers it
 * @property {number} progress  0 to 100
 * @property {string} status  queued, running, done or failed
 */

/**
 * Follows one import job until it is done or has failed.
 * @param {HTMLElement} box  the element with data-poll-url, holding a progress bar and its percentage
 */
function followImport(box) {
  const url = box.dataset.pollUrl || "";
  const bar = /** @type {HTMLProgressElement} */ (box.querySelector("progress"));
  const label = /** @type {HTMLElement} */ (box.querySelector(".import-percent"));
  const poll = () => {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then((/** @type {ImportJob} */ job) => {
        bar.value = job.progress;
        label.textContent = job.progress + "%";
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      // A lost connection is common at a border post: keep trying, less often.
      .catch(() => window.setTimeout(poll, 5000));
  };
  window.setTimeout(poll, 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("[data-poll-url]")) followImport(/** @type {HTMLElement} */ (box));
});
