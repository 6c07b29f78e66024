// @ts-check
/* The floor: the instructor lets one participant (a cadet, a lecture hall) speak to the room with camera and
 * microphone. The holder publishes to the floor slot; everyone else sees and hears it in the floor tile. */
import { updateControls } from "./controls.js";
import { play, stopLocal } from "./media.js";
import { publish, stopPublishing } from "./peers.js";
import { byId, isHost, mediaById, t } from "./room.js";
import { state } from "./state.js";
import { fail, notice } from "./status.js";

/**
 * The floor changed hands (or this page just joined): publish, stop publishing, show or hide the tile.
 * @param {number | null | undefined} user  who holds it now
 */
export function onFloor(user) {
  const had = state.me && state.floorMine;
  state.floor = user;
  const mine = !!(state.me && user === state.me.id);
  state.floorMine = mine;
  if (mine && !had && !isHost) {
    state.micOn = true;
    state.camOn = true;
    publish("floor").then(() => notice(t("floorGiven")), fail);
  } else if (!mine && had) {
    stopPublishing("floor");
    stopLocal();
    mediaById("floor-video").srcObject = null;
    notice(t("floorTaken"));
  }
  const a = mediaById("floor-audio");
  a.muted = mine;
  const subscription = state.subs.floor;
  if (!mine && subscription) {
    // Back to the relay's floor stream (it was hidden behind our own preview).
    const tracks = subscription.getReceivers().map((r) => r.track);
    mediaById("floor-video").srcObject = new MediaStream(tracks.filter((x) => x.kind === "video"));
    // The first play() ran when this page joined, often before any click, and autoplay may have refused it;
    // the host has clicked since (Give floor), so try again now that there is someone to hear.
    if (user !== null && user !== undefined && a.paused) play(a);
  }
  byId("floor-tile").hidden = user === null || user === undefined;
  const holder = state.people.filter((p) => p.id === user)[0];
  if (holder && !mine) byId("floor-name").textContent = holder.name;
  updateControls();
}
