// @ts-check
/* Socket.IO signalling on /lecture (the protocol: lectern/webrtc/signalling.py). Every request is acknowledged with
 * {ok: true, ...} or {ok: false, error, final}; `final` means retrying cannot help. */
import { t } from "./room.js";

/** @typedef {import("./state.js").Person} Person */
/** @typedef {import("./state.js").RemovedPerson} RemovedPerson */
/** @typedef {import("./state.js").ChatMessage} ChatMessage */

/**
 * @typedef {object} ServerEvents  what the server sends to the room
 * @property {(people: Person[]) => void} participants
 * @property {(message: ChatMessage) => void} chat
 * @property {() => void} live
 * @property {(message: {user: number | null}) => void} floor
 * @property {() => void} ended
 * @property {() => void} removed
 * @property {() => void} access_ended
 * @property {(people: RemovedPerson[]) => void} removals
 * @property {() => void} muted
 * @property {(slides: import("./slides.js").Slides | null) => void} slides
 * @property {(where: import("./slides.js").Pointer) => void} pointer
 * @property {(now: import("./recording.js").RecordingState) => void} recording
 * @property {(message: {event?: string, message?: string} | null) => void} error
 * @property {(message: {direction: string, slot: string}) => void} relay-lost  a connection's relay is gone
 */

/** @typedef {Record<string, (...args: any[]) => void>} ClientEvents  requests: `call` checks their answers */
/** @typedef {import("socket.io-client").Socket<ServerEvents, ClientEvents>} Socket */
/** @typedef {typeof import("socket.io-client").io} Connect  Socket.IO's `io`, from static/vendor */

/** @typedef {Error & {final?: boolean}} Refusal  a request the server refused; final: for good */

/** @typedef {{ok: true} & Record<string, unknown>} Ack */

/** @type {Socket | null} */
let socket = null;

/**
 * Connects this page to the lecture namespace; Socket.IO reconnects by itself after a loss.
 * @param {Connect} io
 * @returns {Socket}
 */
export function connect(io) {
  socket = /** @type {Socket} */ (io("/lecture", { reconnectionDelayMax: 10000 }));
  return socket;
}

/** @returns {Socket} */
function connected() {
  if (!socket) throw new Error("not connected");
  return socket;
}

/**
 * Sends a request and waits for its acknowledgement; rejects with a Refusal when the server says no.
 * @param {string} event
 * @param {object} [data]
 * @returns {Promise<Ack>}
 */
export function call(event, data) {
  return connected()
    .timeout(20000)
    .emitWithAck(event, data || {})
    .then(
      /** @param {{ok?: boolean, error?: string, final?: boolean} | null} ack */
      (ack) => {
        if (!ack || !ack.ok) {
          /** @type {Refusal} */
          const err = new Error((ack && ack.error) || t("failed"));
          err.final = !!(ack && ack.final);
          throw err;
        }
        return /** @type {Ack} */ (ack);
      },
    );
}

/** @returns {boolean} whether the socket is connected now */
export function isConnected() {
  return !!socket && socket.connected;
}

/** Connects again at once if the socket is waiting to reconnect (not after `disconnect`): the network is back. */
export function reconnectNow() {
  if (socket && socket.active && !socket.connected) {
    socket.disconnect();
    socket.connect();
  }
}

/** Closes the socket for good: Socket.IO does not reconnect after this. */
export function disconnect() {
  connected().disconnect();
}

/* ---- the join gate ---- */

/**
 * @typedef {object} Gate
 * @property {boolean} open
 * @property {Promise<void>} promise  resolves when the gate opens
 * @property {() => void} resolve
 */

/** @returns {Gate} */
function gate() {
  /** @type {() => void} */
  let resolve = () => {};
  /** @type {Promise<void>} */
  const promise = new Promise((done) => {
    resolve = done;
  });
  return { open: false, promise, resolve };
}

// Opens once this socket has joined the lecture: a click that comes sooner (Start lecture, Raise hand) waits for
// it, or the server would refuse it as coming from no one in the room. A lost connection closes it again.
let joined = gate();

/** @returns {Promise<void>} resolves once this socket is in the room (at once if it is) */
export function whenJoined() {
  return joined.promise;
}

let joinCount = 0;

/** @returns {number} how many times this page has joined (a rejoin after a lost connection counts) */
export function joins() {
  return joinCount;
}

/** The server has answered the join: what waits for it goes on. */
export function markJoined() {
  joinCount += 1;
  joined.open = true;
  joined.resolve();
}

/** The connection was lost: what comes now waits for the next join. */
export function markLeft() {
  if (joined.open) joined = gate();
}
