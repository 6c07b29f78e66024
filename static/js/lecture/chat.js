// @ts-check
/* The room's chat: messages shown with their sender and time, and this user's own sent through the socket. */
import { byId, data } from "./room.js";
import { call, whenJoined } from "./signalling.js";
import { state } from "./state.js";
import { fail } from "./status.js";

/** @typedef {import("./state.js").ChatMessage} ChatMessage */

// Times in the academy's timezone (the page says so in its footer) and the UI language's conventions, not the
// browser's: a cadet's laptop may be set to anywhere.
const chatTime = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
  timeZone: data.timezone || undefined,
  hour: "numeric",
  minute: "2-digit",
});

/**
 * Adds a message at the end of the log, and scrolls to it.
 * @param {ChatMessage} m
 */
export function addChat(m) {
  const log = byId("chat-log");
  const li = document.createElement("li");
  li.className = "msg" + (state.me && m.user === state.me.id ? " mine" : "");
  const head = document.createElement("span");
  head.className = "msg-head";
  const name = document.createElement("strong");
  name.textContent = m.name;
  const time = document.createElement("time");
  time.dateTime = m.at;
  time.textContent = chatTime.format(new Date(m.at));
  head.append(name, time);
  const text = document.createElement("span");
  text.className = "msg-text";
  text.textContent = m.text;
  li.append(head, text);
  log.append(li);
  log.scrollTop = log.scrollHeight;
}

/**
 * Sends what the user wrote once the page is in the room; the input is emptied when the server has it.
 * @param {SubmitEvent} e
 */
export function sendChat(e) {
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId("chat-text"));
  const text = input.value.trim();
  if (!text) return;
  whenJoined()
    .then(() => call("chat", { text: text }))
    .then(() => {
      input.value = "";
    }, fail);
}
