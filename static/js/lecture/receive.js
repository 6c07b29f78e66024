// @ts-check
/* What this participant receives of the instructor's broadcast, and what the relay says of their link.
 *
 * The receive choice (nothing, audio only, audio and slides, low video, everything) goes to the server, which has
 * the relay apply it to the existing subscription: no new connection, so the sound never stops for it. This
 * browser keeps the choice per lecture, so a reload or a rejoin keeps it too. The relay's view of the link comes
 * back with every quality report: the stage says when the video is paused or at its low version because of the
 * link (the sound goes on, the last frame stays), and a notice says when it is back. */
import { lectureId, maybeById, t } from "./room.js";
import { call } from "./signalling.js";
import { state } from "./state.js";
import { fail, notice } from "./status.js";

/** @typedef {import("./state.js").Receive} Receive */
/** @typedef {import("./state.js").Link} Link */

/** @type {Receive[]} */
const CHOICES = ["nothing", "audio", "slides", "low", "everything"];
const KEY = "lectern.receive." + lectureId;

/**
 * @param {unknown} value
 * @returns {value is Receive}
 */
function isChoice(value) {
  return CHOICES.some((c) => c === value);
}

/** Takes the choice this browser kept for the lecture, if any, and shows it in the picker. */
export function loadChoice() {
  let saved = null;
  try {
    saved = window.localStorage.getItem(KEY);
  } catch {
    /* storage refused: the choice lasts as long as the page */
  }
  if (isChoice(saved)) state.receive = saved;
  const picker = /** @type {HTMLSelectElement | null} */ (maybeById("receive-choice"));
  if (picker) picker.value = state.receive;
  renderNote();
}

/**
 * Tells the server this socket's choice, before it subscribes (a new socket's seat starts from everything).
 * @returns {Promise<void>}
 */
export function sendChoice() {
  if (state.receive === "everything") return Promise.resolve();
  return call("receive", { slot: "main", choice: state.receive }).then(() => {});
}

/**
 * The participant picked what to receive: kept here, sent to the server, shown on the stage.
 * @param {Event} e
 */
export function onChoice(e) {
  const value = /** @type {HTMLSelectElement} */ (e.target).value;
  if (!isChoice(value)) return;
  state.receive = value;
  try {
    window.localStorage.setItem(KEY, value);
  } catch {
    /* storage refused */
  }
  renderNote();
  call("receive", { slot: "main", choice: value }).catch(fail);
}

/**
 * Why this participant gets less video than the broadcast has, because of the link: "paused", "low" or null.
 * @param {Link | null} link
 * @returns {string | null}
 */
function weakened(link) {
  return link && link.reason === "link" && (link.video === "paused" || link.video === "low") ? link.video : null;
}

/** The stage's note: what the participant chose not to receive, or what the link takes away now. */
function renderNote() {
  const el = maybeById("stage-note");
  if (!el) return;
  let text = "";
  const weak = weakened(state.link);
  if (state.receive === "nothing") text = t("receivingNothing");
  else if (state.receive === "audio" || state.receive === "slides") text = t("videoOffChosen");
  else if (weak === "paused") text = t("videoPaused");
  else if (weak === "low") text = t("videoLow");
  if (el.textContent !== text) el.textContent = text;
  el.hidden = !text;
}

/**
 * The relay's latest view of this page's main subscription (the quality report's answer).
 * @param {Link | null | undefined} link
 */
export function showLink(link) {
  const before = weakened(state.link);
  state.link = link || null;
  const now = weakened(state.link);
  if (before && !now && state.link && (state.link.video === "high" || state.link.video === "low")) {
    notice(t("videoBack"));
  }
  renderNote();
}
