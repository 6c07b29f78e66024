// @ts-check
/* WebRTC through Lectern's relay. The browser always offers and the relay answers. Publishing: sendonly
 * transceivers; subscribing: recvonly ones (video and audio, or audio only on a weak link). ICE gathering completes
 * before the offer is sent, so no trickling is needed. */
import { attach, getCamera, showPreview, stopLocal } from "./media.js";
import { mediaById } from "./room.js";
import { call } from "./signalling.js";
import { state } from "./state.js";

/** @typedef {import("./state.js").Slot} Slot */

/**
 * Resolves when ICE gathering is complete, or after 3 seconds.
 * @param {RTCPeerConnection} pc
 * @returns {Promise<void>}
 */
function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 3000); // send what we have: the relay finds the rest as peer-reflexive
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

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
 * Offers, sends the offer to the relay and applies its answer.
 * @param {RTCPeerConnection} pc
 * @param {"publish" | "subscribe"} event
 * @param {Slot} slot
 * @returns {Promise<void>}
 */
function negotiate(pc, event, slot) {
  return pc
    .createOffer()
    .then((offer) => pc.setLocalDescription(offer))
    .then(() => gathered(pc))
    .then(() => call(event, { slot: slot, sdp: /** @type {RTCSessionDescription} */ (pc.localDescription).sdp }))
    .then((ack) => pc.setRemoteDescription({ type: "answer", sdp: /** @type {string} */ (ack.sdp) }));
}

/**
 * Receives a slot afresh (after a join, or to drop or take back video).
 * @param {Slot} slot
 * @returns {Promise<void>}
 */
export function subscribe(slot) {
  closePc(state.subs[slot]);
  const pc = new RTCPeerConnection({ iceServers: state.iceServers, iceTransportPolicy: state.iceTransportPolicy });
  state.subs[slot] = pc;
  if (!state.audioOnly) pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const video = new MediaStream();
  const audio = new MediaStream();
  pc.ontrack = (e) => {
    (e.track.kind === "video" ? video : audio).addTrack(e.track);
    attach(slot, video, audio);
  };
  return negotiate(pc, "subscribe", slot);
}

/**
 * Sends the camera (or the screen being shared) and the microphone on a slot.
 * @param {Slot} slot
 * @returns {Promise<void>}
 */
export function publish(slot) {
  return getCamera().then((stream) => {
    closePc(state.pubs[slot]);
    const pc = new RTCPeerConnection({ iceServers: state.iceServers, iceTransportPolicy: state.iceTransportPolicy });
    state.pubs[slot] = pc;
    stream.getTracks().forEach((track) => {
      const sending = track.kind === "video" && state.sharing && state.screen ? state.screen : track;
      pc.addTransceiver(sending, { direction: "sendonly", streams: [stream] });
    });
    showPreview(slot);
    return negotiate(pc, "publish", slot);
  });
}

/**
 * The sender of the video that this page publishes on the slot, if it sends one now.
 * @param {Slot} slot
 * @returns {RTCRtpSender | null}
 */
export function videoSender(slot) {
  const pc = state.pubs[slot];
  if (!pc) return null;
  const found = pc.getSenders().filter((s) => s.track && s.track.kind === "video");
  return found[0] || null;
}

/**
 * The video sender of the main publication even while it sends no track (the camera was swapped for nothing).
 * @returns {RTCRtpSender | null}
 */
export function mainVideoSender() {
  const pc = state.pubs.main;
  if (!pc) return null;
  const tr = pc.getTransceivers().filter((x) => x.receiver.track && x.receiver.track.kind === "video");
  return tr.length ? tr[0].sender : null;
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
