// @ts-check
/* Lectern's lecture room: Socket.IO signalling (/lecture) and WebRTC through Lectern's relay. The entry point,
 * loaded as a module by lectern/templates/webrtc/room.html after the vendored Socket.IO client; it wires the
 * page's controls to the other modules. */
import { sendChat } from "./chat.js";
import { updateControls } from "./controls.js";
import { endLecture, shareScreen, showCamera, startLecture } from "./host.js";
import { setCam, setMic } from "./media.js";
import { stopEverything } from "./peers.js";
import { measure } from "./quality.js";
import { loadChoice, onChoice } from "./receive.js";
import { byId, hasRoom, maybeById, mediaById } from "./room.js";
import { call, connect, reconnectNow, whenJoined } from "./signalling.js";
import { listen } from "./session.js";
import { followRecording, toggleRecording } from "./recording.js";
import { followSlides } from "./slides.js";
import { state } from "./state.js";
import { fail } from "./status.js";

/**
 * A button that acts once this page has joined; it is disabled until its action is done.
 * @param {string} id
 * @param {() => unknown} handler
 */
function on(id, handler) {
  const el = /** @type {HTMLButtonElement | null} */ (maybeById(id));
  if (el) {
    el.addEventListener("click", () => {
      el.disabled = true;
      whenJoined()
        .then(handler)
        .catch(fail)
        .then(() => {
          el.disabled = false;
        });
    });
  }
}

/**
 * Connects and wires every control.
 * @param {import("./signalling.js").Connect} io
 */
function start(io) {
  const socket = connect(io);
  listen(socket);
  followSlides(socket);
  followRecording(socket);
  setInterval(measure, 3000);

  on("start-button", startLecture);
  on("end-button", endLecture);
  on("record-button", toggleRecording);
  on("mic-button", () => setMic(!state.micOn));
  on("camera-button", () => setCam(!state.camOn));
  on("screen-button", () => (state.sharing ? showCamera() : shareScreen()));
  on("hand-button", () => {
    state.hand = !state.hand;
    updateControls();
    return call("hand", { raised: state.hand });
  });
  // Not through on(): play() must run in the click itself (autoplay policy), not after waiting for the join.
  byId("sound-button").addEventListener("click", () => {
    byId("sound-button").hidden = true;
    Promise.all([mediaById("stage-audio").play(), mediaById("floor-audio").play()]).catch(() => {});
  });
  byId("chat-form").addEventListener("submit", sendChat);
  const picker = maybeById("receive-choice");
  if (picker) picker.addEventListener("change", onChoice);
  loadChoice();
  // Back online after a loss: connect again now rather than at the next attempt of the back-off (up to 10 s).
  window.addEventListener("online", reconnectNow);
  window.addEventListener("pagehide", () => stopEverything());
  updateControls();
}

// Nothing to do on a page without a room, or where the Socket.IO client did not load.
const io = window.io;
if (hasRoom && typeof io === "function") start(io);
