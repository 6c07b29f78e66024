// @ts-check
/* The instructor's controls: start the lecture, share the screen and go back to the camera, end the lecture. */
import { updateControls } from "./controls.js";
import { showPreview } from "./media.js";
import { cloneLow, lowEncoding, mainVideoSenders, publish, stopPublishing } from "./peers.js";
import { t } from "./room.js";
import { call } from "./signalling.js";
import { state } from "./state.js";
import { fail, setStatus } from "./status.js";

/**
 * Swaps the main video senders' tracks, both versions: no renegotiation, subscribers keep their tracks.
 * @param {MediaStreamTrack | null} track
 * @returns {Promise<void>}
 */
function useVideo(track) {
  const [high, low] = mainVideoSenders();
  const work = high ? [high.replaceTrack(track)] : [];
  if (low) {
    const clone = cloneLow(track);
    work.push(low.replaceTrack(clone));
    if (track) {
      // The low version of a screen is scaled from the screen's own size, not the camera's.
      const params = low.getParameters();
      if (params.encodings && params.encodings.length) {
        Object.assign(params.encodings[0], lowEncoding(track));
        work.push(low.setParameters(params));
      }
    }
  }
  return Promise.all(work).then(() => {});
}

/**
 * Sends the screen in place of the camera until sharing stops (here, or in the browser's own bar).
 * @returns {Promise<void>}
 */
export function shareScreen() {
  if (!navigator.mediaDevices.getDisplayMedia) return Promise.reject(new Error(t("noScreen")));
  return navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }).then(
    (stream) => {
      const track = stream.getVideoTracks()[0];
      return useVideo(track).then(() => {
        state.screen = track;
        state.sharing = true;
        track.addEventListener("ended", () => {
          showCamera().catch(fail);
        });
        showPreview("main");
        updateControls();
      });
    },
    () => {
      throw new Error(t("noScreen"));
    },
  );
}

/**
 * Sends the camera again, and stops the screen.
 * @returns {Promise<void>}
 */
export function showCamera() {
  const cam = state.camera && state.camera.getVideoTracks()[0];
  const screen = state.screen;
  state.sharing = false;
  state.screen = null;
  return useVideo(cam || null).then(() => {
    if (screen) screen.stop();
    showPreview("main");
    updateControls();
  });
}

/**
 * Publishes the instructor's camera and microphone: the lecture goes live (or resumes after a reload).
 * @returns {Promise<void>}
 */
export function startLecture() {
  // `publishing` is set once the relay has answered, so a rejoin racing this first publish cannot repeat it.
  return publish("main").then(
    () => {
      state.publishing = true;
      setStatus("live");
      updateControls();
    },
    (err) => {
      stopPublishing("main");
      throw err.name === "NotAllowedError" || err.name === "NotFoundError" ? new Error(t("noMedia")) : err;
    },
  );
}

/**
 * Ends the lecture for everyone, once the instructor confirms.
 * @returns {Promise<unknown> | null}
 */
export function endLecture() {
  if (!window.confirm(t("endConfirm"))) return null;
  return call("end");
}
