// @ts-check
/* Slides that need no video: the page the host shows, as an image fetched over HTTP (a small one on a weak link),
 * with the next page loaded ahead once the current one is in; the host's pointer as a dot on it. The host also
 * gets the deck picker (the course's PDFs and uploads), previous and next, the arrow keys, and stop. The state
 * comes with the join's ack and with every `slides` event (lectern/webrtc/room/signalling.py). */
import { byId, data, isHost, maybeById, t } from "./room.js";
import { call, whenJoined } from "./signalling.js";
import { state } from "./state.js";
import { fail, notice } from "./status.js";

/**
 * @typedef {object} SlideImage  one page's image at both widths
 * @property {string} large  1280 px wide
 * @property {string} small  640 px wide
 */

/**
 * @typedef {object} Slides  what the room shows (null: no slides)
 * @property {number} id  the deck (a stored file)
 * @property {string} name
 * @property {number} page  from 1
 * @property {number} pages
 * @property {SlideImage} image
 * @property {SlideImage | null} next
 */

/** @typedef {{x?: number, y?: number}} Pointer  fractions of the page's width and height; empty: none */

/** @typedef {{id: number, name: string}} DeckEntry */

// The stage is about two thirds of a laptop's width, the whole width of a phone's.
const SIZES = "(max-width: 60rem) 100vw, 66vw";

/** @type {Slides | null} */
let current = null;
/** @type {Pointer} */
let pointer = {};

/**
 * Whether this page should fetch only the small images: less than everything was chosen, the relay holds the video
 * back for the link, or the browser says the link is slow or the user saves data.
 * @returns {boolean}
 */
function weakLink() {
  const connection = /** @type {{saveData?: boolean, effectiveType?: string} | undefined} */ (
    /** @type {any} */ (navigator).connection
  );
  const slow = !!connection && ["slow-2g", "2g", "3g"].includes(connection.effectiveType || "");
  const held = state.receive !== "everything" || (state.link !== null && state.link.reason === "link");
  return held || slow || !!(connection && connection.saveData);
}

/**
 * Points an image at a page: the small image only on a weak link, else both for the browser to choose.
 * @param {HTMLImageElement} img
 * @param {SlideImage} image
 */
function setSource(img, image) {
  if (weakLink()) {
    img.removeAttribute("srcset");
  } else {
    img.sizes = SIZES;
    img.srcset = `${image.small} 640w, ${image.large} 1280w`;
  }
  img.src = image.small;
}

/**
 * A translated text with %(page)s and %(pages)s filled in.
 * @param {string} name
 * @param {Slides} slides
 * @returns {string}
 */
function pageText(name, slides) {
  return t(name).replace("%(page)s", String(slides.page)).replace("%(pages)s", String(slides.pages));
}

/**
 * Where the page is drawn inside the image element (the image keeps its proportions inside the stage).
 * @param {HTMLImageElement} img
 * @returns {{left: number, top: number, width: number, height: number}}
 */
function pageBox(img) {
  const box = img.getBoundingClientRect();
  const ratio = img.naturalWidth && img.naturalHeight ? img.naturalWidth / img.naturalHeight : box.width / box.height;
  let width = box.width;
  let height = box.height;
  if (width / height > ratio) width = height * ratio;
  else height = width / ratio;
  return { left: box.left + (box.width - width) / 2, top: box.top + (box.height - height) / 2, width, height };
}

/** Places the pointer's dot (or hides it). */
function placePointer() {
  const dot = byId("slides-pointer");
  if (!current || pointer.x === undefined || pointer.y === undefined) {
    dot.hidden = true;
    return;
  }
  const img = /** @type {HTMLImageElement} */ (byId("slides-image"));
  const page = pageBox(img);
  const frame = byId("slides").getBoundingClientRect();
  dot.style.left = `${page.left - frame.left + pointer.x * page.width}px`;
  dot.style.top = `${page.top - frame.top + pointer.y * page.height}px`;
  dot.hidden = false;
}

/**
 * Shows the host's pointer.
 * @param {Pointer | null} where
 */
export function showPointer(where) {
  pointer = where || {};
  placePointer();
}

/** The host's buttons follow the page shown. */
function updateBar() {
  const count = maybeById("slides-count");
  if (!count) return;
  count.textContent = current ? `${current.page} / ${current.pages}` : "";
  /** @type {[string, boolean][]} */
  const enabled = [
    ["slides-prev", !!current && current.page > 1],
    ["slides-next", !!current && current.page < current.pages],
    ["slides-stop", !!current],
  ];
  for (const [id, on] of enabled) /** @type {HTMLButtonElement} */ (byId(id)).disabled = !on;
}

/**
 * Shows the slides the room shows now (null: none, and the video has the stage again).
 * @param {Slides | null} slides
 */
export function showSlides(slides) {
  current = slides;
  const img = /** @type {HTMLImageElement} */ (byId("slides-image"));
  byId("stage").classList.toggle("has-slides", !!slides);
  byId("slides").hidden = !slides;
  pointer = {};
  placePointer();
  updateBar();
  if (!slides) {
    img.removeAttribute("srcset");
    img.removeAttribute("src");
    return;
  }
  img.alt = pageText("slidesPage", slides);
  byId("slides-caption").textContent = `${slides.name} · ${slides.page} / ${slides.pages}`;
  const next = slides.next;
  img.onload = () => {
    placePointer();
    // The next page, once this one is in: turning to it then costs nothing.
    if (next && current === slides) setSource(new Image(), next);
  };
  setSource(img, slides.image);
}

/**
 * Asks the server to change the slides (the host only); the room, this page included, hears of it.
 * @param {{deck?: number, page?: number, stop?: true}} what
 * @returns {Promise<void>}
 */
function change(what) {
  return whenJoined()
    .then(() => call("slides", what))
    .then((ack) => showSlides(/** @type {Slides | null} */ (ack.slides)))
    .catch(fail);
}

/**
 * Turns by `step` pages, if there is such a page.
 * @param {number} step
 */
function turn(step) {
  if (!current) return;
  const page = current.page + step;
  if (page >= 1 && page <= current.pages) change({ page: page });
}

/**
 * Fills the deck picker.
 * @param {DeckEntry[]} decks
 * @param {number} [chosen]
 */
function listDecks(decks, chosen) {
  const select = /** @type {HTMLSelectElement} */ (byId("slides-deck"));
  select.textContent = "";
  for (const deck of decks) select.append(new Option(deck.name, String(deck.id)));
  if (chosen !== undefined) select.value = String(chosen);
  /** @type {HTMLButtonElement} */ (byId("slides-show")).disabled = decks.length === 0;
  byId("slides-none").hidden = decks.length > 0;
}

/**
 * Reads a JSON answer, or throws its error's message.
 * @param {Response} response
 * @returns {Promise<any>}
 */
function json(response) {
  return response.json().then((body) => {
    if (!response.ok) throw new Error((body && body.error && body.error.message) || t("failed"));
    return body;
  });
}

/** Loads the decks this lecture may show. */
function loadDecks() {
  fetch(data.slidesUrl || "", { headers: { Accept: "application/json" } })
    .then(json)
    .then((body) => listDecks(body.decks))
    .catch(fail);
}

/**
 * Uploads the chosen PDF; once it is kept and rendered, shows it.
 * @param {HTMLInputElement} input
 */
function upload(input) {
  const file = input.files && input.files[0];
  if (!file) return;
  const token = /** @type {HTMLInputElement | null} */ (document.querySelector("input[name=csrf_token]"));
  const form = new FormData();
  form.append("file", file);
  form.append("csrf_token", token ? token.value : "");
  notice(t("slidesUploading"));
  fetch(data.slidesUrl || "", { method: "POST", body: form, headers: { Accept: "application/json" } })
    .then(json)
    .then((body) =>
      fetch(data.slidesUrl || "", { headers: { Accept: "application/json" } })
        .then(json)
        .then((list) => {
          listDecks(list.decks, body.deck.id);
          return change({ deck: body.deck.id });
        }),
    )
    .catch(fail)
    .then(() => {
      input.value = "";
    });
}

/**
 * Whether a key press belongs to a field (typing in the chat), not to the slides.
 * @param {KeyboardEvent} e
 * @returns {boolean}
 */
function typing(e) {
  const target = /** @type {HTMLElement | null} */ (e.target);
  return !!target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

/** Wires the host's controls: the picker, upload, previous and next (and the arrow keys), stop, the pointer. */
function hostControls() {
  whenJoined().then(loadDecks);
  const select = /** @type {HTMLSelectElement} */ (byId("slides-deck"));
  byId("slides-show").addEventListener("click", () => {
    if (select.value) change({ deck: Number(select.value) });
  });
  const file = /** @type {HTMLInputElement} */ (byId("slides-file"));
  file.addEventListener("change", () => upload(file));
  byId("slides-prev").addEventListener("click", () => turn(-1));
  byId("slides-next").addEventListener("click", () => turn(1));
  byId("slides-stop").addEventListener("click", () => change({ stop: true }));
  document.addEventListener("keydown", (e) => {
    if (!current || typing(e) || e.altKey || e.ctrlKey || e.metaKey) return;
    const step = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 }[e.key];
    if (step) {
      e.preventDefault();
      turn(step);
    }
  });
  // A click on the page points at it for everyone; a click on the pointer's own place again takes it away.
  const img = /** @type {HTMLImageElement} */ (byId("slides-image"));
  img.addEventListener("click", (e) => {
    const page = pageBox(img);
    const x = (e.clientX - page.left) / page.width;
    const y = (e.clientY - page.top) / page.height;
    if (x < 0 || x > 1 || y < 0 || y > 1) return;
    const again = pointer.x !== undefined && Math.hypot(x - pointer.x, y - (pointer.y || 0)) < 0.02;
    call("pointer", again ? {} : { x: x, y: y }).catch(fail);
  });
  updateBar();
}

/**
 * Follows the room's slides and pointer, and wires the host's controls.
 * @param {import("./signalling.js").Socket} socket
 */
export function followSlides(socket) {
  socket.on("slides", showSlides);
  socket.on("pointer", showPointer);
  window.addEventListener("resize", placePointer);
  if (isHost) hostControls();
}
