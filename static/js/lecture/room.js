// @ts-check
/* The lecture room's page (lectern/templates/webrtc/room.html): its data-* attributes and its elements.
 * Every user-facing string comes from the page's data-t-* attributes, translated there. */

const root = document.getElementById("room");

/** Whether this page is a lecture room at all: main.js starts nothing elsewhere. */
export const hasRoom = root !== null;

/** The room's data-* attributes (none on a page without a room). */
export const data = root ? root.dataset : /** @type {DOMStringMap} */ ({});

/** The lecture's id. */
export const lectureId = Number(data.lecture);

/** Whether this user runs the lecture (publishes the main stream, gives the floor) rather than follows it. */
export const isHost = data.part === "host";

/**
 * The word with its first letter in upper case: `capitalized("floor")` is "Floor".
 * @param {string} word
 * @returns {string}
 */
export function capitalized(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * A translated string from the page: `t("floorGiven")` reads data-t-floor-given (the name itself if it is missing).
 * @param {string} name
 * @returns {string}
 */
export function t(name) {
  return data["t" + capitalized(name)] || name;
}

/**
 * An element that every room page has.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/**
 * An element that only some participants' pages have (the host's buttons, the list of removed people).
 * @param {string} id
 * @returns {HTMLElement | null}
 */
export function maybeById(id) {
  return document.getElementById(id);
}

/**
 * One of the room's video and audio elements.
 * @param {"stage-video" | "stage-audio" | "floor-video" | "floor-audio"} id
 * @returns {HTMLMediaElement}
 */
export function mediaById(id) {
  return /** @type {HTMLMediaElement} */ (document.getElementById(id));
}
