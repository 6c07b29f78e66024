// @ts-check
/* The controls' state: which buttons show, and what they say. */
import { isHost, maybeById, t } from "./room.js";
import { state } from "./state.js";

/**
 * Sets a button's text, and whether it shows as pressed.
 * @param {string} id
 * @param {string} text
 * @param {boolean} [pressed]
 */
function label(id, text, pressed) {
  const el = maybeById(id);
  if (!el) return;
  el.textContent = text;
  if (pressed !== undefined) el.setAttribute("aria-pressed", pressed ? "true" : "false");
}

/**
 * @param {string} id
 * @param {boolean} visible
 */
function show(id, visible) {
  const el = maybeById(id);
  if (el) el.hidden = !visible;
}

/** Brings every control in line with the state: call it after any change of it. */
export function updateControls() {
  const media = isHost ? !!state.pubs.main : !!state.floorMine;
  if (isHost) {
    show("start-button", !state.pubs.main && !state.over);
    show("end-button", state.live && !state.over); // nothing to end before the start, nor after the end
    show("record-button", state.live && !state.over); // a lecture is recorded only while it is live
    label("start-button", state.live ? t("resume") : t("start"));
    show("screen-button", media);
    label("screen-button", state.sharing ? t("showCamera") : t("share"), state.sharing);
  }
  show("mic-button", media);
  show("camera-button", media);
  show("hand-button", !state.floorMine); // the floor answered the hand: nothing to raise while speaking
  label("mic-button", state.micOn ? t("micOff") : t("micOn"), state.micOn);
  label("camera-button", state.camOn ? t("cameraOff") : t("cameraOn"), state.camOn);
  label("hand-button", state.hand ? t("lower") : t("raise"), state.hand);
}
