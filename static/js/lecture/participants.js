// @ts-check
/* The participant list (with the host's tools for each participant) and the list of those removed. */
import { updateControls } from "./controls.js";
import { byId, capitalized, isHost, maybeById, t } from "./room.js";
import { call } from "./signalling.js";
import { state } from "./state.js";
import { fail } from "./status.js";

/** @typedef {import("./state.js").Person} Person */
/** @typedef {import("./state.js").Quality} Quality */
/** @typedef {import("./state.js").Link} Link */
/** @typedef {import("./state.js").RemovedPerson} RemovedPerson */
/** @typedef {"good" | "fair" | "poor" | "unknown"} QualityClass */

/**
 * @typedef {object} Row  one participant's list item, and the parts of it that change
 * @property {HTMLLIElement} li
 * @property {HTMLSpanElement} dot  the link quality's colour
 * @property {HTMLSpanElement} who  name and part
 * @property {HTMLSpanElement} name
 * @property {HTMLSpanElement} role
 * @property {HTMLSpanElement} hand  the "hand raised" tag
 * @property {HTMLSpanElement} floor  the "has the floor" tag
 * @property {HTMLSpanElement} link  the relay's figures of the participant's link (the host's list only)
 * @property {HTMLSpanElement | null} tools  the host's buttons for this participant
 * @property {string} toolsKey  which buttons `tools` holds ("" for none)
 */

/**
 * @param {Quality | null | undefined} q
 * @returns {QualityClass}
 */
export function qualityOf(q) {
  if (!q || (q.rtt_ms === null && q.loss === null)) return "unknown";
  const rtt = q.rtt_ms || 0;
  const loss = q.loss || 0;
  if (rtt < 300 && loss < 0.03) return "good";
  if (rtt < 800 && loss < 0.1) return "fair";
  return "poor";
}

/**
 * The relay's figures of a participant's link, compact: "256 kbps · 5% loss · 320 ms · low" (what is known).
 * @param {Link | null | undefined} link
 * @returns {string}
 */
export function linkText(link) {
  if (!link) return "";
  const parts = [];
  if (link.estimate_kbps !== null && link.estimate_kbps !== undefined) parts.push(link.estimate_kbps + " kbps");
  if (link.loss !== null && link.loss !== undefined) {
    parts.push(Math.round(link.loss * 100) + "% " + t("loss"));
  }
  if (link.rtt_ms !== null && link.rtt_ms !== undefined) parts.push(Math.round(link.rtt_ms) + " ms");
  if (link.video) parts.push(t("version" + capitalized(link.video)));
  return parts.join(" · ");
}

/**
 * A small button that sends a host's request about a participant (removing asks first).
 * @param {string} text
 * @param {string} event
 * @param {object} data
 * @param {string} [cls]
 * @returns {HTMLButtonElement}
 */
function hostAction(text, event, data, cls) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "mini" + (cls ? " " + cls : "");
  b.textContent = text;
  b.addEventListener("click", () => {
    if (event === "remove" && !window.confirm(t("removeConfirm"))) return;
    call(event, data).catch(fail);
  });
  return b;
}

// One row per participant, kept from one list to the next and changed in place: the list comes again at least
// once a second in a busy room, and a button rebuilt between the instructor's press and release loses the click.
/** @type {Map<number, Row>} */
const rows = new Map();

/**
 * @param {number} id
 * @returns {Row}
 */
function personRow(id) {
  const found = rows.get(id);
  if (found) return found;
  const li = document.createElement("li");
  li.className = "person";
  li.dataset.user = String(id);
  const who = document.createElement("span");
  who.className = "who";
  const name = document.createElement("span");
  name.className = "name";
  const role = document.createElement("span");
  role.className = "role";
  who.append(name, role);
  const hand = document.createElement("span");
  hand.className = "tag tag-hand";
  const floor = document.createElement("span");
  floor.className = "tag tag-floor";
  const link = document.createElement("span");
  link.className = "link-figures";
  const dot = document.createElement("span");
  /** @type {Row} */
  const row = { li, dot, who, name, role, hand, floor, link, tools: null, toolsKey: "" };
  li.append(row.dot, who);
  rows.set(id, row);
  return row;
}

/**
 * Sets an element's text only when it changes (no needless work for screen readers and layout).
 * @param {HTMLElement} el
 * @param {string} text
 */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * A tag is in the row only while it holds: its text must not linger for screen readers.
 * @param {Row} row
 * @param {HTMLSpanElement} tag
 * @param {boolean} on
 * @param {string} text
 */
function showTag(row, tag, on, text) {
  setText(tag, text);
  if (!on) {
    tag.remove();
  } else if (tag.parentNode !== row.li) {
    const after = tag === row.hand || row.hand.parentNode !== row.li ? row.who : row.hand;
    after.after(tag);
  }
}

/**
 * @param {Row} row
 * @param {Person} p
 */
function updateRow(row, p) {
  row.li.classList.toggle("has-hand", !!p.hand);
  row.li.classList.toggle("has-floor", !!p.floor);
  const quality = qualityOf(p.quality);
  row.dot.className = "dot q-" + quality;
  let title = t("quality" + capitalized(quality));
  if (p.quality && p.quality.rtt_ms !== null) title += " · " + Math.round(p.quality.rtt_ms) + " ms";
  row.dot.title = title;
  setText(row.name, p.name + (state.me && p.id === state.me.id ? " (" + t("you") + ")" : ""));
  setText(row.role, t("part" + capitalized(p.part)));
  showTag(row, row.hand, !!p.hand, t("hand"));
  showTag(row, row.floor, !!p.floor, t("floor"));
  const figures = isHost ? linkText(p.link) : "";
  setText(row.link, figures);
  if (figures && row.link.parentNode !== row.who) row.who.append(row.link);
  else if (!figures) row.link.remove();
  let toolsKey = isHost && p.part !== "host" && p.part !== "observer" ? (p.floor ? "floor" : "seat") : "";
  if (toolsKey && state.moderator) toolsKey += "+remove"; // only those who run the lecture may remove
  if (toolsKey === row.toolsKey) return;
  if (row.tools) row.tools.remove();
  row.tools = null;
  row.toolsKey = toolsKey;
  if (!toolsKey) return;
  const tools = document.createElement("span");
  tools.className = "person-tools";
  tools.append(
    p.floor ? hostAction(t("takeFloor"), "floor", { user: null }) : hostAction(t("giveFloor"), "floor", { user: p.id }),
    hostAction(t("mute"), "mute", { user: p.id }),
  );
  if (state.moderator) tools.append(hostAction(t("remove"), "remove", { user: p.id }, "danger"));
  row.tools = tools;
  row.li.append(tools);
}

/**
 * Those who may remove people see whom they removed, and can let them back in.
 * @param {RemovedPerson[]} people
 */
export function renderRemoved(people) {
  const panel = maybeById("removed-panel");
  if (!panel) return;
  panel.hidden = !state.moderator || !people.length;
  const list = byId("removed-list");
  list.textContent = "";
  people.forEach((p) => {
    const li = document.createElement("li");
    li.className = "person";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = p.name;
    const tools = document.createElement("span");
    tools.className = "person-tools";
    tools.append(hostAction(t("readmit"), "readmit", { user: p.id }));
    li.append(name, tools);
    list.append(li);
  });
}

/**
 * Shows the server's participant list, changing the rows in place.
 * @param {Person[]} people
 */
export function renderParticipants(people) {
  state.people = people;
  const list = byId("participants");
  byId("people-count").textContent = String(people.length);
  /** @type {Set<number>} */
  const present = new Set();
  people.forEach((p, i) => {
    present.add(p.id);
    const row = personRow(p.id);
    updateRow(row, p);
    if (list.children[i] !== row.li) list.insertBefore(row.li, list.children[i] || null);
  });
  rows.forEach((row, id) => {
    if (!present.has(id)) {
      row.li.remove();
      rows.delete(id);
    }
  });
  const me = state.me;
  if (me) {
    const mine = people.filter((p) => p.id === me.id)[0];
    if (mine) state.hand = mine.hand;
  }
  const holder = people.filter((p) => p.floor)[0];
  if (holder && !state.floorMine) byId("floor-name").textContent = holder.name;
  updateControls();
}
