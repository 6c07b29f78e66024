// @ts-check
/* What this page knows of the room and of its own media: one object that the room's modules share and change. */
import { data } from "./room.js";

/** @typedef {"main" | "floor"} Slot  the instructor's broadcast, or the one given the floor */

/**
 * @typedef {object} Me  this user, as the server knows them
 * @property {number} id
 * @property {string} name
 */

/**
 * @typedef {object} Quality  a participant's link, as their own browser measured it
 * @property {number | null} rtt_ms
 * @property {number | null} loss  the share of packets lost, 0 to 1
 * @property {number | null} [kbps]
 */

/**
 * @typedef {object} Link  a subscriber's link as the relay sees it (RelayClient.link)
 * @property {number | null} estimate_kbps  what the relay estimates the link carries
 * @property {number | null} loss  0 to 1
 * @property {number | null} rtt_ms
 * @property {number | null} [jitter_ms]
 * @property {number} [kbps]  what the relay sends now
 * @property {"high" | "low" | "paused" | "off"} video  the version received
 * @property {"link" | "choice" | null} reason  why not the high version: the link, or the participant's choice
 */

/** @typedef {"nothing" | "audio" | "slides" | "low" | "everything"} Receive  what a participant chose to receive */

/**
 * @typedef {object} Person  one entry of the server's participant list
 * @property {number} id
 * @property {string} name
 * @property {string} part  host, hall, cadet or observer
 * @property {boolean} hand
 * @property {boolean} floor
 * @property {Quality | null} [quality]
 * @property {Link | null} [link]
 */

/**
 * @typedef {object} RemovedPerson  someone sent out of this lecture (shown to those who may let them back in)
 * @property {number} id
 * @property {string} name
 */

/**
 * @typedef {object} ChatMessage
 * @property {number} user
 * @property {string} name
 * @property {string} text
 * @property {string} at  ISO 8601, with its offset
 */

/**
 * @typedef {object} Peers  this page's connection to the relay for each slot, if any
 * @property {RTCPeerConnection | null} main
 * @property {RTCPeerConnection | null} floor
 */

/**
 * @typedef {object} RoomState
 * @property {Me | null} me  this user, once joined
 * @property {number | null | undefined} floor  who holds the floor (a user's id), if anyone
 * @property {boolean} floorMine  this user holds the floor
 * @property {boolean} moderator  this user may remove people from the lecture
 * @property {Person[]} people  the latest participant list
 * @property {boolean} live
 * @property {boolean} over  this page has left the room for good (ended, removed, access ended)
 * @property {boolean} hand  this user's hand is raised
 * @property {Receive} receive  what this participant receives of the main slot (the relay applies it)
 * @property {Link | null} link  the relay's latest view of this page's main subscription
 * @property {boolean} micOn
 * @property {boolean} camOn
 * @property {boolean} sharing  the screen, not the camera, is sent
 * @property {boolean} publishing  the host publishes main (set once the relay has answered the first publish)
 * @property {MediaStream | null} camera  the local camera and microphone
 * @property {MediaStreamTrack | null} screen  the screen's video track while sharing
 * @property {MediaStreamTrack | null} low  the host's low version: a clone of the video sent, sent scaled down
 * @property {Peers} pubs  publishing connections (sendonly)
 * @property {Peers} subs  subscribing connections (recvonly)
 * @property {RTCIceServer[]} iceServers  Lectern's own only: never a public default
 * @property {RTCIceTransportPolicy} iceTransportPolicy  "relay": TURN only (the server's configuration says)
 */

/** @type {RoomState} */
export const state = {
  me: null,
  floor: null,
  floorMine: false,
  moderator: false,
  people: [],
  live: data.status === "live",
  over: false,
  hand: false,
  receive: "everything",
  link: null,
  micOn: true,
  camOn: true,
  sharing: false,
  publishing: false,
  camera: null,
  screen: null,
  low: null,
  pubs: { main: null, floor: null },
  subs: { main: null, floor: null },
  iceServers: JSON.parse(data.iceServers || "[]"),
  iceTransportPolicy: data.iceTransportPolicy === "relay" ? "relay" : "all",
};
