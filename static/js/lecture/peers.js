// @ts-check
/* WebRTC through Lectern's relay. The browser always offers and the relay answers. Publishing: sendonly
 * transceivers (the host's main publication sends its video twice, a high and a low version, for the relay to
 * choose from per participant); subscribing: recvonly ones, video and audio, whatever the participant chose to
 * receive (the relay applies the choice without renegotiating). The offer goes as soon as it is made, and the
 * browser's ICE candidates follow it as they are found (trickle ICE): waiting for all of them cost every join the
 * gathering time (over 100 ms without STUN, a round trip to each STUN or TURN server with them). A subscription whose connection is lost is made afresh once the page is online and
 * in the room again. */
import { attach, getCamera, showPreview, stopLocal } from "./media.js";
import { mediaById } from "./room.js";
import { call, joins, whenJoined } from "./signalling.js";
import { state } from "./state.js";

// The host's two versions of the camera: the high one as the camera gives it (up to 1280x720), the low one scaled
// down to about 320x180 at 15 frames a second, for links that cannot carry more.
const HIGH_BITRATE = 1200000;
const LOW_HEIGHT = 180;
const LOW_FRAMERATE = 15;
const LOW_BITRATE = 120000;

/** @typedef {import("./state.js").Slot} Slot */

/**
 * @param {RTCPeerConnection | null} pc
 */
function closePc(pc) {
  if (pc) {
    try {
      pc.close();
    } catch {
      /* already closed */
    }
  }
}

/**
 * Offers, sends the offer to the relay and applies its answer; the ICE candidates found meanwhile go once the relay
 * has the connection (it answered), the later ones as they come. The relay also learns the browser's address from
 * its connectivity checks, so a candidate lost on the way costs nothing.
 * @param {RTCPeerConnection} pc
 * @param {"publish" | "subscribe"} event
 * @param {Slot} slot
 * @returns {Promise<void>}
 */
function negotiate(pc, event, slot) {
  /** @type {RTCIceCandidate[] | null} the candidates waiting for the answer; null once it came */
  let waiting = [];
  /** @param {RTCIceCandidate} found */
  const send = (found) => {
    if (pc.signalingState === "closed") return;
    call("ice", {
      slot: slot,
      direction: event,
      candidate: found.candidate,
      sdpMid: found.sdpMid,
      sdpMLineIndex: found.sdpMLineIndex || 0,
    }).catch(() => {}); // a connection replaced meanwhile: nothing to add it to
  };
  pc.addEventListener("icecandidate", (e) => {
    if (!e.candidate || !e.candidate.candidate) return; // the end of candidates: the relay needs no word of it
    if (waiting) waiting.push(e.candidate);
    else send(e.candidate);
  });
  return pc
    .createOffer()
    .then((offer) => pc.setLocalDescription(offer))
    .then(() => call(event, { slot: slot, sdp: /** @type {RTCSessionDescription} */ (pc.localDescription).sdp }))
    .then((ack) => pc.setRemoteDescription({ type: "answer", sdp: /** @type {string} */ (ack.sdp) }))
    .then(() => {
      const found = waiting || [];
      waiting = null;
      found.forEach(send);
    });
}

/**
 * Resolves when the browser says it is online (at once if it is).
 * @returns {Promise<void>}
 */
function whenOnline() {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) => {
    window.addEventListener("online", () => resolve(), { once: true });
  });
}

/** How long a "disconnected" subscription may take to come back by itself before it is made afresh (ms). */
const DISCONNECTED_GRACE = 6000;

/** @type {Record<Slot, number>} failed attempts to make each slot's subscription afresh, since it last worked */
const retries = { main: 0, floor: 0 };

/**
 * A subscription's connection was lost (the relay does no ICE restart): subscribe afresh once the page is online
 * and in the room. Not after a rejoin meanwhile, which subscribes afresh itself. Attempts that fail are spaced out.
 * @param {Slot} slot
 * @param {RTCPeerConnection} pc  the lost connection
 */
function resubscribe(slot, pc) {
  // A "disconnected" connection often comes back by itself (a weak link misses a few ICE checks): give it
  // DISCONNECTED_GRACE first; the subscription is remade only if it is still not connected then.
  const grace = pc.connectionState === "disconnected" ? DISCONNECTED_GRACE : 0;
  const delay = Math.max(grace, Math.min(5000, 1000 * retries[slot]));
  const seated = joins();
  retries[slot] += 1;
  setTimeout(() => {
    Promise.all([whenJoined(), whenOnline()])
      .then(() => {
        if (state.over || state.subs[slot] !== pc || joins() !== seated) return undefined;
        if (pc.connectionState === "connected") return undefined; // it came back by itself
        const attempt = subscribe(slot);
        const made = state.subs[slot];
        return attempt.catch(() => {
          if (made && state.subs[slot] === made) resubscribe(slot, made);
        });
      })
      .catch(() => {});
  }, delay);
}

/**
 * Receives a slot afresh (after a join, or after its connection was lost).
 * @param {Slot} slot
 * @returns {Promise<void>}
 */
export function subscribe(slot) {
  closePc(state.subs[slot]);
  const pc = new RTCPeerConnection({ iceServers: state.iceServers, iceTransportPolicy: state.iceTransportPolicy });
  state.subs[slot] = pc;
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const video = new MediaStream();
  const audio = new MediaStream();
  pc.ontrack = (e) => {
    (e.track.kind === "video" ? video : audio).addTrack(e.track);
    attach(slot, video, audio);
  };
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "connected") retries[slot] = 0;
    if ((pc.connectionState === "disconnected" || pc.connectionState === "failed") && state.subs[slot] === pc) {
      resubscribe(slot, pc);
    }
  });
  return negotiate(pc, "subscribe", slot);
}

/**
 * The low version's encoding for a video track: scaled down to about LOW_HEIGHT lines.
 * @param {MediaStreamTrack} track
 * @returns {RTCRtpEncodingParameters}
 */
export function lowEncoding(track) {
  const height = track.getSettings().height || 720;
  return {
    scaleResolutionDownBy: Math.max(1, height / LOW_HEIGHT),
    maxFramerate: LOW_FRAMERATE,
    maxBitrate: LOW_BITRATE,
  };
}

/**
 * The track the low version sends now: a clone of `track` (the old clone stopped), or nothing.
 * @param {MediaStreamTrack | null} track
 * @returns {MediaStreamTrack | null}
 */
export function cloneLow(track) {
  if (state.low) state.low.stop();
  state.low = track ? track.clone() : null;
  return state.low;
}

/**
 * Sends the camera (or the screen being shared) and the microphone on a slot: on the main slot, the video twice,
 * the high version first and the low one second (the relay's order), each with its own encoding limits.
 * @param {Slot} slot
 * @returns {Promise<void>}
 */
export function publish(slot) {
  return getCamera().then((stream) => {
    closePc(state.pubs[slot]);
    const pc = new RTCPeerConnection({ iceServers: state.iceServers, iceTransportPolicy: state.iceTransportPolicy });
    state.pubs[slot] = pc;
    stream.getAudioTracks().forEach((track) => {
      pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    });
    const camera = stream.getVideoTracks()[0];
    if (camera) {
      const sending = state.sharing && state.screen ? state.screen : camera;
      if (slot === "main") {
        const high = { direction: "sendonly", streams: [stream], sendEncodings: [{ maxBitrate: HIGH_BITRATE }] };
        pc.addTransceiver(sending, /** @type {RTCRtpTransceiverInit} */ (high));
        const low = /** @type {MediaStreamTrack} */ (cloneLow(sending));
        pc.addTransceiver(low, { direction: "sendonly", streams: [stream], sendEncodings: [lowEncoding(sending)] });
      } else {
        pc.addTransceiver(sending, { direction: "sendonly", streams: [stream] });
      }
    }
    showPreview(slot);
    return negotiate(pc, "publish", slot);
  });
}

/**
 * The video senders of the main publication, the high version's first, even while they send no track.
 * @returns {RTCRtpSender[]}
 */
export function mainVideoSenders() {
  const pc = state.pubs.main;
  if (!pc) return [];
  return pc
    .getTransceivers()
    .filter((x) => x.receiver.track && x.receiver.track.kind === "video")
    .map((x) => x.sender);
}

/**
 * @param {Slot} slot
 */
export function stopPublishing(slot) {
  closePc(state.pubs[slot]);
  state.pubs[slot] = null;
}

/** Closes every connection and stops every device: the page leaves the room, or is left. */
export function stopEverything() {
  /** @type {Slot[]} */
  const slots = ["main", "floor"];
  slots.forEach((slot) => {
    closePc(state.subs[slot]);
    stopPublishing(slot);
  });
  stopLocal();
  const ids = /** @type {const} */ (["stage-video", "stage-audio", "floor-video", "floor-audio"]);
  ids.forEach((id) => {
    mediaById(id).srcObject = null;
  });
}
