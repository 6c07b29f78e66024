"""What a page does with WebRTC, seen from outside it: the page exposes nothing for tests.

`RECORD_PEERS` is an init script (`BrowserContext.add_init_script`): it runs in every page before the page's own
scripts and records, in `window.__recorded`, every RTCPeerConnection and every camera stream the page makes. The
other constants are functions for `Page.evaluate` that read those records, tied to what the user sees and hears
(an audio element's stream) where they can be.
"""

from __future__ import annotations

from playwright.sync_api import Page, Request, WebSocket

RECORD_PEERS = """(() => {
  const recorded = { pcs: [], streams: [] };
  // The connections that publish: open, with a sender that has a track (a subscription's senders have none).
  recorded.publishing = () =>
    recorded.pcs.filter((pc) => pc.signalingState !== "closed" && pc.getSenders().some((s) => s.track));
  Object.defineProperty(window, "__recorded", { value: recorded });
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      recorded.pcs.push(this);
    }
  };
  const getUserMedia = MediaDevices.prototype.getUserMedia;
  MediaDevices.prototype.getUserMedia = function (...args) {
    return getUserMedia.apply(this, args).then((stream) => {
      recorded.streams.push(stream);
      return stream;
    });
  };
})();"""

AUDIO_BYTES = """async (id) => {
  // The audio bytes received for the tracks that an audio element of the page plays.
  const stream = document.getElementById(id).srcObject;
  const tracks = stream ? stream.getAudioTracks() : [];
  let bytes = 0;
  for (const pc of window.__recorded.pcs) {
    for (const receiver of pc.getReceivers()) {
      if (!tracks.includes(receiver.track)) continue;
      (await receiver.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "audio") bytes += s.bytesReceived;
      });
    }
  }
  return bytes;
}"""

SENT_VIDEO_LABEL = """() => {
  const pcs = window.__recorded.publishing();
  const pc = pcs[pcs.length - 1];
  const s = pc && pc.getSenders().find((x) => x.track && x.track.kind === "video");
  return s ? s.track.label : null;
}"""

# One connection publishes the camera and the microphone, and it is connected.
PUBLISHING_BOTH = """() => {
  const pcs = window.__recorded.publishing();
  if (pcs.length !== 1 || pcs[0].connectionState !== "connected") return false;
  const kinds = pcs[0].getSenders().filter((s) => s.track).map((s) => s.track.kind);
  return kinds.includes("audio") && kinds.includes("video");
}"""

# Nothing is published, and the camera and microphone are released (every track the page got has stopped).
NOTHING_PUBLISHED = """() => {
  return window.__recorded.publishing().length === 0 &&
    window.__recorded.streams.every((s) => s.getTracks().every((t) => t.readyState === "ended"));
}"""

# Whether the microphone of the camera stream the page holds now is on (null: it holds none).
MIC_ENABLED = """() => {
  const live = window.__recorded.streams.filter((s) => s.getTracks().some((t) => t.readyState === "live"));
  const track = live.length ? live[live.length - 1].getAudioTracks()[0] : null;
  return track ? track.enabled : null;
}"""


class SocketTransports:
    """Follows a page's Socket.IO connections from the network side: polling requests and WebSockets."""

    def __init__(self, page: Page) -> None:
        self.polled = False
        self.sockets: list[WebSocket] = []
        page.on("request", self._request)
        page.on("websocket", self._websocket)

    def current(self) -> str | None:
        """The transport in use now, as Engine.IO names it: an open WebSocket once upgraded, else polling."""
        if any(not ws.is_closed() for ws in self.sockets):
            return "websocket"
        return "polling" if self.polled else None

    def _request(self, request: Request) -> None:
        if "/socket.io/" in request.url and "transport=polling" in request.url:
            self.polled = True

    def _websocket(self, ws: WebSocket) -> None:
        if "/socket.io/" in ws.url:
            self.sockets.append(ws)
