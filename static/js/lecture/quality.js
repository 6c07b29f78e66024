// @ts-check
/* Connection quality, from this browser's own statistics: round trip, loss and bitrate, sent to the server, which
 * shows everyone's as a coloured dot in the participant list. The answer carries the relay's own view of this
 * page's link (receive.js shows what it means for the video). */
import { showLink } from "./receive.js";
import { call, isConnected } from "./signalling.js";
import { state } from "./state.js";

/** @typedef {import("./state.js").Quality} Quality */

/**
 * @typedef {object} Sample  the counters at the last measurement
 * @property {number} at  performance.now() then
 * @property {number} lost
 * @property {number} got
 * @property {number} bytes
 */

/** @type {Sample | null} */
let last = null;

/** Measures every connection of this page and reports the result (best effort: a failure is skipped). */
export function measure() {
  const pcs = [state.subs.main, state.subs.floor, state.pubs.main, state.pubs.floor].filter((pc) => pc !== null);
  if (!pcs.length || !isConnected() || state.over) return;
  Promise.all(pcs.map((pc) => pc.getStats()))
    .then((reports) => {
      /** @type {number | null} */
      let rtt = null;
      let lost = 0;
      let got = 0;
      let bytes = 0;
      reports.forEach((report) => {
        report.forEach((s) => {
          if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) {
            rtt = Math.max(rtt || 0, s.currentRoundTripTime * 1000);
          } else if (s.type === "inbound-rtp") {
            lost += s.packetsLost || 0;
            got += s.packetsReceived || 0;
            bytes += s.bytesReceived || 0;
          } else if (s.type === "outbound-rtp") {
            bytes += s.bytesSent || 0;
          }
        });
      });
      const now = performance.now();
      /** @type {Quality} */
      const q = { rtt_ms: rtt === null ? null : Math.min(rtt, 60000), loss: null, kbps: null };
      if (last) {
        const dLost = lost - last.lost;
        const dGot = got - last.got;
        if (dLost + dGot > 0) q.loss = Math.max(0, Math.min(1, dLost / (dLost + dGot)));
        q.kbps = Math.max(0, Math.min(1000000, ((bytes - last.bytes) * 8) / (now - last.at)));
      }
      last = { at: now, lost: lost, got: got, bytes: bytes };
      return call("quality", q);
    })
    .then((ack) => showLink(/** @type {import("./state.js").Link | null} */ (ack.link)))
    .catch(() => {
      /* statistics are best effort */
    });
}
