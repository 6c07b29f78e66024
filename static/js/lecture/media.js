// @ts-check
/* This browser's own media (camera, microphone, the preview of what it sends) and the playing of what it receives. */
import { updateControls } from "./controls.js";
import { byId, mediaById, t } from "./room.js";
import { state } from "./state.js";

/** @typedef {import("./state.js").Slot} Slot */

/**
 * Plays a received audio element; where autoplay is refused, offers a button that plays it on a click.
 * @param {HTMLMediaElement} a
 */
export function play(a) {
  const played = a.play();
  if (played && played.catch) {
    played.catch(() => {
      byId("sound-button").hidden = false; // autoplay policy: needs a click
    });
  }
}

/**
 * Shows and plays what a subscription receives, as its tracks arrive.
 * @param {Slot} slot
 * @param {MediaStream} video
 * @param {MediaStream} audio
 */
export function attach(slot, video, audio) {
  const v = mediaById(slot === "main" ? "stage-video" : "floor-video");
  const a = mediaById(slot === "main" ? "stage-audio" : "floor-audio");
  const mine = !!(slot === "floor" && state.me && state.floor === state.me.id);
  if (!mine && video.getTracks().length && v.srcObject !== video) v.srcObject = video;
  if (a.srcObject !== audio) a.srcObject = audio;
  a.muted = mine; // never hear yourself back through the relay
  if (slot === "main") byId("stage-empty").hidden = true;
  play(a);
}

/**
 * The camera and microphone (the microphone alone where there is no camera), asked for once.
 * @returns {Promise<MediaStream>}
 */
export function getCamera() {
  if (state.camera) return Promise.resolve(state.camera);
  const video = { width: { ideal: 1280 }, height: { ideal: 720 } };
  return navigator.mediaDevices
    .getUserMedia({ audio: true, video: video })
    .catch(() => navigator.mediaDevices.getUserMedia({ audio: true }))
    .then((stream) => {
      state.camera = stream;
      stream.getAudioTracks().forEach((tr) => {
        tr.enabled = state.micOn;
      });
      stream.getVideoTracks().forEach((tr) => {
        tr.enabled = state.camOn;
      });
      return stream;
    });
}

/**
 * Shows this browser what it sends on a slot: on the stage (the host) or in the floor tile.
 * @param {Slot} slot
 */
export function showPreview(slot) {
  const stream = state.camera;
  if (!stream) return;
  const preview = new MediaStream(state.sharing && state.screen ? [state.screen] : stream.getVideoTracks());
  if (slot === "main") {
    mediaById("stage-video").srcObject = preview;
    byId("stage-empty").hidden = true;
  } else {
    mediaById("floor-video").srcObject = preview;
    byId("floor-tile").hidden = false;
    byId("floor-name").textContent = state.me ? state.me.name + " (" + t("you") + ")" : "";
  }
}

/** Stops the camera, the microphone and the screen: the browser's indicators go off. */
export function stopLocal() {
  if (state.camera) state.camera.getTracks().forEach((tr) => tr.stop());
  if (state.screen) state.screen.stop();
  if (state.low) state.low.stop();
  state.camera = null;
  state.screen = null;
  state.low = null;
  state.sharing = false;
}

/**
 * @param {boolean} on
 */
export function setMic(on) {
  state.micOn = on;
  if (state.camera) {
    state.camera.getAudioTracks().forEach((tr) => {
      tr.enabled = on;
    });
  }
  updateControls();
}

/**
 * @param {boolean} on
 */
export function setCam(on) {
  state.camOn = on;
  if (state.camera) {
    state.camera.getVideoTracks().forEach((tr) => {
      tr.enabled = on;
    });
  }
  // The low version is a clone of the camera: it goes off and on with it (not while it clones the screen).
  if (state.low && !state.sharing) state.low.enabled = on;
  updateControls();
}
