// The import progress page: polls the job's state every second, then reloads to show the course or the problems.
"use strict";

function followImport(box) {
  const bar = box.querySelector("progress");
  const label = box.querySelector(".import-percent");
  const poll = () => {
    fetch(box.dataset.pollUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then((job) => {
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
  for (const box of document.querySelectorAll("[data-poll-url]")) followImport(box);
});
