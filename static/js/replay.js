// @ts-check
/* A recorded lecture's replay (lectern/templates/webrtc/_replay_panel.html) beside its video (#lesson-video): the
 * version played (chosen, or by the link's measured speed), the slide shown at each moment, the chapters, and the
 * lecture's chat as it was written, line by line as the video reaches it. Clicking a chapter or a chat line seeks. */

/**
 * @typedef {object} Version
 * @property {string} url
 * @property {number} kbps
 * @typedef {object} Chapter
 * @property {number} at  seconds from the start
 * @property {string} title
 * @property {{large: string, small: string} | null} slide
 * @typedef {object} Line
 * @property {number} at
 * @property {string} name
 * @property {string} text
 * @typedef {object} Timeline
 * @property {Record<string, Version>} versions
 * @property {Chapter[]} chapters
 * @property {Line[]} chat
 */

const CHOICE_KEY = "lectern.replay.version";
const SAMPLE_BYTES = 64 * 1024; // what the speed test reads of the light version
const HEADROOM = 1.5; // a version is chosen when the link carries this many times its rate

/**
 * "m:ss" (or "h:mm:ss") of a time in seconds.
 * @param {number} seconds
 * @returns {string}
 */
function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/**
 * The link's speed in kbit/s, from reading the start of a file (null when it cannot be told).
 * @param {string} url
 * @returns {Promise<number | null>}
 */
function measure(url) {
  const started = performance.now();
  return fetch(url, { headers: { Range: `bytes=0-${SAMPLE_BYTES - 1}` }, cache: "no-store" })
    .then((response) => response.arrayBuffer())
    .then((body) => {
      const seconds = (performance.now() - started) / 1000;
      return seconds > 0 ? (body.byteLength * 8) / 1000 / seconds : null;
    })
    .catch(() => null);
}

/**
 * The best version the link carries.
 * @param {Record<string, Version>} versions
 * @param {number | null} kbps
 * @returns {string}
 */
function fitting(versions, kbps) {
  if (kbps === null) return "main";
  for (const name of ["main", "low"]) {
    const version = versions[name];
    if (version && kbps >= HEADROOM * version.kbps) return name;
  }
  return versions.audio ? "audio" : "low";
}

/**
 * @param {HTMLElement} root
 * @param {HTMLVideoElement} video
 * @param {Timeline} timeline
 */
function follow(root, video, timeline) {
  const select = /** @type {HTMLSelectElement} */ (document.getElementById("replay-version"));
  const chapterList = /** @type {HTMLOListElement} */ (document.getElementById("replay-chapters"));
  const chatLog = /** @type {HTMLOListElement} */ (document.getElementById("replay-chat"));
  const chatEmpty = document.getElementById("replay-chat-empty");
  const slide = /** @type {HTMLElement} */ (document.getElementById("replay-slide"));
  const slideImage = /** @type {HTMLImageElement} */ (document.getElementById("replay-slide-image"));
  const autoOption = /** @type {HTMLOptionElement} */ (select.querySelector('option[value="auto"]'));
  const label = (/** @type {string} */ name) => root.dataset["t" + name.charAt(0).toUpperCase() + name.slice(1)] || name;

  /** @param {number} at */
  const seek = (at) => {
    video.currentTime = at;
    if (video.paused) video.play().catch(() => {});
  };

  /**
   * Plays another version from the same moment, as it was (playing or paused).
   * @param {string} name
   */
  const play = (name) => {
    const version = timeline.versions[name];
    if (!version || video.dataset.version === name) return;
    const at = video.currentTime;
    const playing = !video.paused;
    if (playing) video.pause(); // the player's report of the parts played goes out first (lectern.js)
    video.dataset.version = name;
    video.src = version.url;
    video.addEventListener(
      "loadedmetadata",
      () => {
        video.currentTime = at;
        if (playing) video.play().catch(() => {});
      },
      { once: true },
    );
  };

  const choose = () => {
    const wanted = select.value;
    try {
      localStorage.setItem(CHOICE_KEY, wanted);
    } catch {
      /* private mode: the choice lasts the page */
    }
    if (wanted !== "auto") {
      play(wanted);
      return;
    }
    const sample = (timeline.versions.low || timeline.versions.main).url;
    measure(sample).then((kbps) => {
      const name = fitting(timeline.versions, kbps);
      autoOption.textContent = label("auto").replace("{version}", label(name));
      if (select.value === "auto") play(name);
    });
  };

  chapterList.textContent = "";
  const chapterBox = chapterList.closest("details");
  if (chapterBox) chapterBox.hidden = !timeline.chapters.length;
  for (const chapter of timeline.chapters) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = `${clock(chapter.at)} ${chapter.title}`;
    button.addEventListener("click", () => seek(chapter.at));
    item.append(button);
    chapterList.append(item);
  }
  /** @type {HTMLLIElement[]} */
  const lines = timeline.chat.map((line) => {
    const item = document.createElement("li");
    item.hidden = true;
    item.dataset.at = String(line.at);
    const time = document.createElement("button");
    time.type = "button";
    time.className = "link chat-time";
    time.textContent = clock(line.at);
    time.addEventListener("click", () => seek(line.at));
    const name = document.createElement("strong");
    name.textContent = line.name;
    const text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = line.text;
    item.append(time, " ", name, " ", text);
    chatLog.append(item);
    return item;
  });
  const chapterItems = Array.from(chapterList.children);

  let shown = -1;
  const update = () => {
    const now = video.currentTime;
    let last = -1;
    lines.forEach((item, i) => {
      item.hidden = timeline.chat[i].at > now;
      if (!item.hidden) last = i;
    });
    if (chatEmpty) chatEmpty.hidden = last >= 0;
    if (last !== shown && last >= 0) lines[last].scrollIntoView({ block: "nearest" });
    shown = last;
    let current = -1;
    timeline.chapters.forEach((chapter, i) => {
      if (chapter.at <= now) current = i;
    });
    chapterItems.forEach((item, i) => item.classList.toggle("current", i === current));
    let image = null;
    for (const chapter of timeline.chapters) {
      if (chapter.at > now) break;
      if (chapter.slide) image = chapter.slide; // a floor change keeps the slide shown before it
    }
    slide.hidden = !image;
    if (image) {
      const src = slide.clientWidth > 480 ? image.large : image.small;
      if (slideImage.getAttribute("src") !== src) slideImage.src = src;
    }
  };
  video.addEventListener("timeupdate", update);
  video.addEventListener("seeked", update);
  update();

  let saved = "auto";
  try {
    saved = localStorage.getItem(CHOICE_KEY) || "auto";
  } catch {
    /* private mode */
  }
  select.value = Array.from(select.options).some((o) => o.value === saved) ? saved : "auto";
  video.dataset.version = "main"; // what the page loads first
  select.addEventListener("change", choose);
  choose();
}

const root = document.getElementById("replay");
const video = /** @type {HTMLVideoElement | null} */ (document.getElementById("lesson-video"));
if (root && video) {
  fetch(root.dataset.timeline || "", { headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
    .then((timeline) => follow(root, video, /** @type {Timeline} */ (timeline)))
    .catch(() => {
      root.hidden = true;
    });
}
