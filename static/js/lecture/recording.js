// @ts-check
/* Recording: the "Recording" sign everyone in the room sees while the lecture is recorded, and the host's button
 * that starts and stops it (the "record" event; lectern/webrtc/room/recording.py). */
import { maybeById, t } from "./room.js";
import { call } from "./signalling.js";

/** @typedef {{on: boolean, since: string | null}} RecordingState */

let recording = false;

/**
 * Shows whether the lecture is recorded now.
 * @param {RecordingState | null | undefined} now
 */
export function showRecording(now) {
  recording = !!(now && now.on);
  const sign = maybeById("recording-sign");
  if (sign) sign.hidden = !recording;
  const button = maybeById("record-button");
  if (button) {
    button.textContent = recording ? t("stopRecording") : t("record");
    button.setAttribute("aria-pressed", String(recording));
  }
}

/**
 * The host starts or stops recording.
 * @returns {Promise<void>}
 */
export function toggleRecording() {
  return call("record", { on: !recording }).then((ack) => {
    showRecording(/** @type {RecordingState} */ (ack.recording));
  });
}

/**
 * Follows the room's recording state.
 * @param {import("./signalling.js").Socket} socket
 */
export function followRecording(socket) {
  socket.on("recording", showRecording);
}
