// @ts-check
/* What the page says of the room: the connection's pill, the lecture's pill and passing notices. */
import { updateControls } from "./controls.js";
import { byId, t } from "./room.js";
import { state } from "./state.js";

/** @typedef {"connecting" | "connected" | "reconnecting" | "offline"} Connection */
/** @typedef {"scheduled" | "live" | "ended"} LectureStatus */

/**
 * @param {Connection} name
 */
export function setConnection(name) {
  const el = byId("connection-state");
  el.dataset.state = name;
  el.textContent = t(name);
}

// The lecture's own state in the header pill: not started, live, or ended (never "live" after the end).
/** @type {Record<LectureStatus, string>} */
const STATUS_TEXT = { scheduled: "notStarted", live: "live", ended: "statusEnded" };

/**
 * @param {LectureStatus} status
 */
export function setStatus(status) {
  state.live = status === "live";
  const el = byId("lecture-status");
  el.dataset.state = status;
  el.textContent = t(STATUS_TEXT[status]);
  updateControls();
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let noticeTimer;

/**
 * Shows a notice above the stage for a few seconds.
 * @param {string} text
 */
export function notice(text) {
  const el = byId("room-notice");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    el.hidden = true;
  }, 6000);
}

/**
 * Says that something failed: the error's own message (the server's, translated), or a general one.
 * @param {unknown} err
 */
export function fail(err) {
  const message = err && typeof err === "object" && "message" in err ? err.message : null;
  notice(message ? String(message) : t("failed"));
}
