// @ts-check
/* This page's stay in the room: joining (again after every reconnect), the server's events, and leaving for good. */
import { addChat } from "./chat.js";
import { onFloor } from "./floor.js";
import { setMic } from "./media.js";
import { renderParticipants, renderRemoved } from "./participants.js";
import { publish, stopEverything, subscribe } from "./peers.js";
import { sendChoice } from "./receive.js";
import { showRecording } from "./recording.js";
import { showSlides } from "./slides.js";
import { byId, isHost, lectureId, t } from "./room.js";
import { call, disconnect, markJoined, markLeft } from "./signalling.js";
import { state } from "./state.js";
import { fail, notice, setConnection, setStatus } from "./status.js";

/** @typedef {import("./signalling.js").Socket} Socket */
/** @typedef {import("./signalling.js").Refusal} Refusal */

/**
 * @typedef {object} JoinAck  the server's answer to "join"
 * @property {import("./state.js").Me} me
 * @property {number | null} floor
 * @property {boolean} [moderator]
 * @property {import("./state.js").RemovedPerson[]} [removed]
 * @property {RTCIceServer[]} [ice_servers]
 * @property {{status: string}} lecture
 * @property {import("./state.js").Person[]} participants
 * @property {import("./state.js").ChatMessage[]} chat
 * @property {import("./slides.js").Slides | null} [slides]  the page shown now
 * @property {import("./recording.js").RecordingState} [recording]  whether the lecture is recorded now
 */

/**
 * The page leaves the room for good: it says why, stops every device and closes the socket.
 * @param {string} text  why, for the user
 * @param {boolean} [ended]  the lecture itself has ended
 */
function over(text, ended) {
  state.over = true;
  if (ended) setStatus("ended");
  stopEverything();
  byId("room-over-text").textContent = text;
  byId("room-over").hidden = false;
  setConnection("offline");
  disconnect();
}

/**
 * Joins the lecture, shows the room as the server has it, and receives (and sends) the media afresh.
 * @returns {Promise<void>}
 */
function join() {
  return call("join", { lecture: lectureId }).then((reply) => {
    const ack = /** @type {JoinAck} */ (/** @type {unknown} */ (reply));
    markJoined();
    state.me = ack.me;
    state.floor = ack.floor;
    state.moderator = !!ack.moderator;
    renderRemoved(ack.removed || []);
    if (ack.ice_servers) state.iceServers = ack.ice_servers;
    setStatus(ack.lecture.status === "live" ? "live" : "scheduled");
    renderParticipants(ack.participants);
    byId("chat-log").textContent = "";
    ack.chat.forEach(addChat);
    showSlides(ack.slides || null);
    showRecording(ack.recording);
    const work = [];
    // After a reconnect the relay forgot this socket's peers: subscribe (and publish) afresh, the main slot with
    // the participant's receive choice (told first: the server applies it to the new subscription).
    if (!isHost) work.push(sendChoice().catch(fail).then(() => subscribe("main")));
    work.push(subscribe("floor"));
    if (isHost && state.publishing) work.push(publish("main"));
    // The floor holder back after a reconnect: onFloor sees no change, so publish again here.
    if (!isHost && state.floorMine && ack.floor === ack.me.id) work.push(publish("floor"));
    // state.floor, not ack.floor: a "floor" event may have come while the subscriptions were being set up, and
    // the ack's older value would hide the tile it has just shown.
    return Promise.all(work).then(() => onFloor(state.floor));
  });
}

/**
 * Follows the socket: joins on every connect, shows the connection's state, and handles the server's events.
 * @param {Socket} socket
 */
export function listen(socket) {
  socket.on("connect", () => {
    setConnection("connected");
    join().catch((/** @type {Refusal} */ err) => {
      if (err.final) over(err.message); // removed, or the lecture is over: nothing to retry
      else fail(err);
    });
  });
  socket.on("disconnect", (reason) => {
    markLeft();
    if (state.over) return;
    setConnection(reason === "io server disconnect" ? "offline" : "reconnecting");
  });
  socket.io.on("reconnect_attempt", () => {
    if (!state.over) setConnection("reconnecting");
  });
  socket.on("connect_error", () => {
    if (!state.over) setConnection(socket.active ? "reconnecting" : "offline");
  });

  socket.on("participants", renderParticipants);
  socket.on("chat", addChat);
  socket.on("live", () => setStatus("live"));
  socket.on("floor", (msg) => onFloor(msg.user));
  socket.on("ended", () => over(t("ended"), true));
  socket.on("removed", () => over(t("removed")));
  socket.on("access_ended", () => over(t("accessEnded")));
  socket.on("removals", renderRemoved);
  socket.on("muted", () => {
    setMic(false);
    notice(t("muted"));
  });
  socket.on("error", (msg) => {
    if (msg && msg.message) notice(msg.message);
  });
  // The relay one of this page's connections was on is gone (a relay process stopped): offer again at once; the
  // server places the new connection on a live relay. The room itself (chat, floor, attendance) never left.
  socket.on("relay-lost", (msg) => {
    if (state.over || !msg) return;
    const slot = msg.slot === "floor" ? "floor" : "main";
    if (msg.direction !== "publish") {
      subscribe(slot).catch(fail);
    } else if (slot === "main" ? isHost && state.publishing : state.floorMine) {
      publish(slot).catch(fail);
    }
  });
}
