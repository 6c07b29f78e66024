// @ts-check
// The attempt page: every answer is saved to the server as it is given. An answer the server has not yet
// acknowledged waits in a queue kept in localStorage, so it survives a dropped connection and a reload; the queue is
// sent again when the connection returns. Each answer carries a sequence number: the server keeps the newest only.
// The deadline is the server's; the timer here only shows it, corrected for the difference between the clocks.
"use strict";

/**
 * @typedef {object} AttemptData  the attempt form's data-* attributes (lectern/templates/courses/quizzes/attempt.html)
 * @property {string} saveUrl
 * @property {string} reviewUrl
 * @property {string} attempt  the attempt's id
 * @property {string} [deadline]  ISO 8601, where the quiz has a time limit
 * @property {string} [now]  the server's clock when it made the page, ISO 8601 (with a deadline)
 * @property {string} tSaved
 * @property {string} tSaving
 * @property {string} tUnsaved
 * @property {string} tAllSaved
 * @property {string} tPending  with {n} for the number of answers
 * @property {string} tOffline
 * @property {string} tClosed
 * @property {string} tTimeUp
 * @property {string} tSubmitOffline
 * @property {string} tLeave
 */

/**
 * @typedef {number | boolean | number[] | Record<string, number | null> | string | null} AnswerResponse
 *   single: the choice's index; truefalse: a boolean; multiple: indexes; matching: stem -> choice; else text
 */

/**
 * @typedef {object} Queued  an answer given here that the server has not yet acknowledged
 * @property {AnswerResponse} response
 * @property {number} seq
 */

/** @typedef {"saved" | "saving" | "unsaved"} SaveState */

(function () {
  const found = document.getElementById("attempt");
  if (!found) return;
  const form = /** @type {HTMLFormElement} */ (found);
  const t = /** @type {AttemptData} */ (form.dataset);
  const token = /** @type {HTMLInputElement} */ (form.querySelector("input[name=csrf_token]")).value;
  const storeKey = "lectern.quiz." + t.attempt;
  const summary = /** @type {HTMLElement} */ (form.querySelector(".save-summary"));
  /** @type {Record<string, Queued>} */
  const queue = load();
  /** @type {Set<string>} */
  const inFlight = new Set();
  let offline = !navigator.onLine;
  let closed = false; // the server said the attempt is closed
  /** @type {string | null} */
  let refused = null; // why the server will not take answers now (unenrolled, the quiz hidden): nothing more is sent
  let timeUp = false; // the deadline passed here: no more answers, but what is queued is still sent
  let submitting = false;
  /** @type {Record<string, number>} */
  const seqs = {};
  /** @type {Record<string, ReturnType<typeof setTimeout>>} */
  const timers = {};

  /** @returns {Record<string, Queued>} what this browser queued before (a reload), or nothing */
  function load() {
    try {
      return JSON.parse(localStorage.getItem(storeKey) || "{}");
    } catch (e) {
      return {};
    }
  }

  function persist() {
    try {
      if (Object.keys(queue).length) localStorage.setItem(storeKey, JSON.stringify(queue));
      else localStorage.removeItem(storeKey);
    } catch (e) {
      // Private mode or a full store: the queue still lives in memory for this page.
    }
  }

  /**
   * A question's position in the attempt, which names it in the queue and to the server.
   * @param {HTMLElement} box  the question's fieldset
   * @returns {string}
   */
  function positionOf(box) {
    return /** @type {string} */ (box.dataset.position);
  }

  /**
   * @param {string} position
   * @returns {HTMLFieldSetElement | null}
   */
  function fieldset(position) {
    return form.querySelector('fieldset.question[data-position="' + position + '"]');
  }

  /**
   * The answer as the question's inputs show it now.
   * @param {HTMLElement} box
   * @returns {AnswerResponse}
   */
  function readResponse(box) {
    const type = box.dataset.type;
    const name = "q" + box.dataset.position;
    if (type === "single" || type === "truefalse") {
      const checked = /** @type {HTMLInputElement | null} */ (box.querySelector('input[name="' + name + '"]:checked'));
      if (!checked) return null;
      return type === "single" ? Number(checked.value) : checked.value === "true";
    }
    if (type === "multiple") {
      const inputs = /** @type {NodeListOf<HTMLInputElement>} */ (box.querySelectorAll('input[name="' + name + '"]:checked'));
      return Array.from(inputs).map((i) => Number(i.value));
    }
    if (type === "matching") {
      /** @type {Record<string, number | null>} */
      const chosen = {};
      for (const select of /** @type {NodeListOf<HTMLSelectElement>} */ (box.querySelectorAll("select[data-stem]"))) {
        chosen[/** @type {string} */ (select.dataset.stem)] = select.value === "" ? null : Number(select.value);
      }
      return chosen;
    }
    const input = /** @type {HTMLInputElement | HTMLTextAreaElement | null} */ (
      box.querySelector('[name="' + name + '"]')
    );
    return input ? input.value : null;
  }

  /**
   * Shows a queued answer in the question's inputs (after a reload).
   * @param {HTMLElement} box
   * @param {AnswerResponse} response
   */
  function writeResponse(box, response) {
    const type = box.dataset.type;
    const name = "q" + box.dataset.position;
    if (type === "single" || type === "truefalse" || type === "multiple") {
      const wanted = Array.isArray(response) ? response.map(String) : [String(response)];
      for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (box.querySelectorAll('input[name="' + name + '"]'))) {
        input.checked = response !== null && wanted.includes(input.value);
      }
    } else if (type === "matching") {
      const chosen = /** @type {Record<string, number | null> | null} */ (response);
      for (const select of /** @type {NodeListOf<HTMLSelectElement>} */ (box.querySelectorAll("select[data-stem]"))) {
        const value = chosen ? chosen[/** @type {string} */ (select.dataset.stem)] : null;
        select.value = value === null || value === undefined ? "" : String(value);
      }
    } else {
      const input = /** @type {HTMLInputElement | HTMLTextAreaElement | null} */ (
        box.querySelector('[name="' + name + '"]')
      );
      if (input) input.value = response === null ? "" : /** @type {string} */ (response);
    }
  }

  /**
   * @param {string} position
   * @param {SaveState} state
   */
  function setState(position, state) {
    const box = fieldset(position);
    const label = box && box.querySelector(".save-state");
    if (!label) return;
    label.classList.remove("saved", "saving", "unsaved");
    label.classList.add(state);
    label.textContent = state === "saved" ? t.tSaved : state === "saving" ? t.tSaving : t.tUnsaved;
  }

  /**
   * Says whether every answer is saved, or shows a message in its place.
   * @param {string | null} [message]
   */
  function updateSummary(message) {
    const pending = Object.keys(queue).length;
    form.classList.toggle("has-pending", pending > 0);
    if (message) summary.textContent = message;
    else if (pending === 0) summary.textContent = t.tAllSaved;
    else summary.textContent = t.tPending.replace("{n}", String(pending));
    summary.classList.toggle("pending", pending > 0);
  }

  /**
   * The next sequence number for a question's answer: above the server's and the queue's.
   * @param {string} position
   * @returns {number}
   */
  function nextSeq(position) {
    const box = /** @type {HTMLFieldSetElement} */ (fieldset(position));
    const server = Number(box.dataset.seq || 0);
    const queued = queue[position] ? queue[position].seq : 0;
    seqs[position] = Math.max(seqs[position] || 0, server, queued) + 1;
    return seqs[position];
  }

  /**
   * The user changed an answer: queue it and send it.
   * @param {HTMLElement} box
   */
  function changed(box) {
    if (closed || timeUp) return;
    const position = positionOf(box);
    queue[position] = { response: readResponse(box), seq: nextSeq(position) };
    persist();
    setState(position, "unsaved");
    updateSummary();
    send(position);
  }

  /**
   * Sends a question's queued answer, and again while a newer one was queued meanwhile.
   * @param {string} position
   * @returns {Promise<void>}
   */
  async function send(position) {
    const entry = queue[position];
    if (!entry || inFlight.has(position) || closed || refused) return;
    inFlight.add(position);
    setState(position, "saving");
    try {
      const reply = await fetch(t.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" },
        body: JSON.stringify({ position: Number(position), response: entry.response, seq: entry.seq }),
      });
      offline = false;
      if (reply.ok) {
        const body = await reply.json();
        const box = /** @type {HTMLFieldSetElement} */ (fieldset(position));
        box.dataset.seq = String(Math.max(body.seq, Number(box.dataset.seq || 0)));
        if (queue[position] && queue[position].seq <= body.seq) delete queue[position];
        persist();
        setState(position, queue[position] ? "unsaved" : "saved");
      } else if (reply.status === 409) {
        closed = true;
        updateSummary(t.tClosed);
        window.location.assign(t.reviewUrl);
        return;
      } else if (reply.status === 403) {
        // Access ended, the attempt is kept: so is this answer, here, to be sent after a reload once access is back.
        const body = await reply.json().catch(() => ({}));
        refused = body.message || t.tUnsaved;
        setState(position, "unsaved");
      } else if (reply.status >= 400 && reply.status < 500) {
        // The server refused this answer for good (wrong shape, signed out): say so and do not retry it.
        const body = await reply.json().catch(() => ({}));
        delete queue[position];
        persist();
        setState(position, "unsaved");
        const label = /** @type {HTMLFieldSetElement} */ (fieldset(position)).querySelector(".save-state");
        if (label) label.textContent = body.message || t.tUnsaved;
      } else {
        setState(position, "unsaved");
      }
    } catch (e) {
      offline = true;
      setState(position, "unsaved");
    } finally {
      inFlight.delete(position);
      updateSummary(refused || (offline && Object.keys(queue).length ? t.tOffline : null));
    }
    // A newer answer given while this one was on its way.
    if (queue[position] && !offline) send(position);
  }

  /** Sends every queued answer. */
  function flush() {
    for (const position of Object.keys(queue)) send(position);
  }

  /** Sends every queued answer, and waits until none is on its way. */
  async function flushAndWait() {
    flush();
    while (inFlight.size) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // Answers: radios, checkboxes and selects save on change; typing saves after a pause and when leaving the field.
  form.addEventListener("change", (event) => {
    const target = /** @type {Element} */ (event.target);
    const box = /** @type {HTMLFieldSetElement | null} */ (target.closest("fieldset.question"));
    if (box) {
      clearTimeout(timers[positionOf(box)]);
      changed(box);
    }
  });
  form.addEventListener("input", (event) => {
    const target = /** @type {Element} */ (event.target);
    const box = /** @type {HTMLFieldSetElement | null} */ (target.closest("fieldset.question"));
    if (!box || !target.matches("input[type=text], textarea")) return;
    clearTimeout(timers[positionOf(box)]);
    timers[positionOf(box)] = setTimeout(() => changed(box), 700);
  });

  // Restore what this browser queued before a reload, if it is newer than what the server has.
  for (const position of Object.keys(queue)) {
    const box = fieldset(position);
    if (!box || queue[position].seq <= Number(box.dataset.seq || 0)) {
      delete queue[position];
      continue;
    }
    writeResponse(box, queue[position].response);
    setState(position, "unsaved");
  }
  persist();
  updateSummary();
  flush();

  /** The deadline passed: submit what was saved, once the connection allows. */
  async function submitWhenOnline() {
    await flushAndWait();
    if (offline || !navigator.onLine) {
      updateSummary(t.tSubmitOffline);
      return; // the "online" handler tries again; the server has closed the attempt at the deadline anyway
    }
    submitting = true;
    form.submit();
  }

  window.addEventListener("online", () => {
    offline = false;
    flush();
    if (timeUp && !submitting) submitWhenOnline();
  });
  window.addEventListener("offline", () => {
    offline = true;
    updateSummary(Object.keys(queue).length ? t.tOffline : null);
  });
  setInterval(() => {
    if (Object.keys(queue).length) flush();
  }, 5000);

  window.addEventListener("beforeunload", (event) => {
    if (Object.keys(queue).length && !submitting) {
      event.preventDefault();
      event.returnValue = t.tLeave;
    }
  });

  // Submitting: send what is queued first; offline, keep the page and say so.
  const submitError = /** @type {HTMLElement} */ (form.querySelector(".submit-error"));
  form.addEventListener("submit", async (event) => {
    if (submitting) return;
    event.preventDefault();
    await flushAndWait();
    if (offline || !navigator.onLine) {
      submitError.textContent = t.tSubmitOffline;
      submitError.hidden = false;
      return;
    }
    submitting = true;
    form.submit();
  });

  // The timer shows the server's deadline; when it passes, the attempt is submitted with what was saved.
  if (t.deadline) {
    const skew = Date.parse(t.now || "") - Date.now();
    const deadline = Date.parse(t.deadline);
    const value = /** @type {HTMLElement} */ (form.querySelector(".timer-value"));
    const timer = /** @type {HTMLElement} */ (form.querySelector(".timer"));
    const tick = () => {
      const left = Math.max(0, deadline - (Date.now() + skew));
      const seconds = Math.floor(left / 1000);
      const h = Math.floor(seconds / 3600);
      const m = Math.floor((seconds % 3600) / 60);
      const s = seconds % 60;
      value.textContent = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
      timer.classList.toggle("low", seconds < 60);
      if (left <= 0 && !timeUp && !closed) {
        timeUp = true;
        updateSummary(t.tTimeUp);
        submitWhenOnline();
      }
    };
    tick();
    setInterval(tick, 1000);
  }
})();
