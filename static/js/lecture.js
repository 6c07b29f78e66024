/* Lectern lecture room: Socket.IO signalling (/lecture) and WebRTC through Lectern's relay.
 *
 * The browser always offers and the relay answers. Publishing: sendonly transceivers; subscribing: recvonly ones
 * (video and audio, or audio only on a weak link). ICE gathering completes before the offer is sent, so no
 * trickling is needed. Every user-facing string comes from the page's data-t-* attributes (translated there).
 */
(function () {
  "use strict";

  var root = document.getElementById("room");
  if (!root || typeof window.io !== "function") {
    return;
  }
  var d = root.dataset;
  var lectureId = Number(d.lecture);
  var part = d.part;
  var iceServers = JSON.parse(d.iceServers || "[]"); // ours only: never a public default
  var isHost = part === "host";

  function t(name) {
    return d["t" + name.charAt(0).toUpperCase() + name.slice(1)] || name;
  }
  function $(id) {
    return document.getElementById(id);
  }

  var state = {
    me: null,
    floor: null,
    live: d.status === "live",
    over: false,
    hand: false,
    audioOnly: false,
    micOn: true,
    camOn: true,
    sharing: false,
    publishing: false, // the host wants to publish main; the floor holder floor
    camera: null, // local MediaStream (camera and microphone)
    screen: null, // the screen's video track while sharing
    pubs: { main: null, floor: null },
    subs: { main: null, floor: null },
    joining: null,
  };
  // For tests and debugging: the subscriber and publisher connections.
  window.lectern = { pcs: {}, pubs: {}, state: state, transport: function () {
    return socket.io.engine ? socket.io.engine.transport.name : null;
  } };

  /* ---- status and notices ---- */

  function setConnection(name) {
    var el = $("connection-state");
    el.dataset.state = name;
    el.textContent = t(name);
  }

  // The lecture's own state in the header pill: not started, live, or ended (never "live" after the end).
  var STATUS_TEXT = { scheduled: "notStarted", live: "live", ended: "statusEnded" };
  function setStatus(status) {
    state.live = status === "live";
    var el = $("lecture-status");
    el.dataset.state = status;
    el.textContent = t(STATUS_TEXT[status]);
    updateControls();
  }

  var noticeTimer = null;
  function notice(text) {
    var el = $("room-notice");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { el.hidden = true; }, 6000);
  }

  function over(text, ended) {
    state.over = true;
    if (ended) setStatus("ended");
    stopEverything();
    $("room-over-text").textContent = text;
    $("room-over").hidden = false;
    setConnection("offline");
    socket.disconnect();
  }

  /* ---- signalling ---- */

  var socket = window.io("/lecture", { reconnectionDelayMax: 10000 });

  function call(event, data) {
    return socket.timeout(20000).emitWithAck(event, data || {}).then(function (ack) {
      if (!ack || !ack.ok) {
        var err = new Error((ack && ack.error) || t("failed"));
        err.final = !!(ack && ack.final);
        throw err;
      }
      return ack;
    });
  }

  function fail(err) {
    notice(err && err.message ? err.message : t("failed"));
  }

  // Opens once this socket has joined the lecture: a click that comes sooner (Start lecture, Raise hand) waits for
  // it, or the server would refuse it as coming from no one in the room. A lost connection closes it again.
  var joined = gate();
  function gate() {
    var g = { open: false };
    g.promise = new Promise(function (resolve) { g.resolve = resolve; });
    return g;
  }

  socket.on("connect", function () {
    setConnection("connected");
    state.joining = join().catch(function (err) {
      if (err.final) over(err.message); // removed, or the lecture is over: nothing to retry
      else fail(err);
    });
  });
  socket.on("disconnect", function (reason) {
    if (joined.open) joined = gate();
    if (state.over) return;
    setConnection(reason === "io server disconnect" ? "offline" : "reconnecting");
  });
  socket.io.on("reconnect_attempt", function () {
    if (!state.over) setConnection("reconnecting");
  });
  socket.on("connect_error", function () {
    if (!state.over) setConnection(socket.active ? "reconnecting" : "offline");
  });

  socket.on("participants", renderParticipants);
  socket.on("chat", addChat);
  socket.on("live", function () { setStatus("live"); });
  socket.on("floor", function (msg) { onFloor(msg.user); });
  socket.on("ended", function () { over(t("ended"), true); });
  socket.on("removed", function () { over(t("removed")); });
  socket.on("access_ended", function () { over(t("accessEnded")); });
  socket.on("removals", renderRemoved);
  socket.on("muted", function () {
    setMic(false);
    notice(t("muted"));
  });
  socket.on("error", function (msg) {
    if (msg && msg.message) notice(msg.message);
  });

  function join() {
    return call("join", { lecture: lectureId }).then(function (ack) {
      joined.open = true;
      joined.resolve();
      state.me = ack.me;
      state.floor = ack.floor;
      state.moderator = !!ack.moderator;
      renderRemoved(ack.removed || []);
      if (ack.ice_servers) iceServers = ack.ice_servers;
      setStatus(ack.lecture.status === "live" ? "live" : "scheduled");
      renderParticipants(ack.participants);
      $("chat-log").textContent = "";
      ack.chat.forEach(addChat);
      var work = [];
      // After a reconnect the relay forgot this socket's peers: subscribe (and publish) afresh.
      if (!isHost) work.push(subscribe("main"));
      work.push(subscribe("floor"));
      if (isHost && state.publishing) work.push(publish("main"));
      // The floor holder back after a reconnect: onFloor sees no change, so publish again here.
      if (!isHost && state.floorMine && ack.floor === ack.me.id) work.push(publish("floor"));
      // state.floor, not ack.floor: a "floor" event may have come while the subscriptions were being set up, and
      // the ack's older value would hide the tile it has just shown.
      return Promise.all(work).then(function () { onFloor(state.floor); });
    });
  }

  /* ---- WebRTC ---- */

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise(function (resolve) {
      var timer = setTimeout(resolve, 3000); // send what we have: the relay finds the rest as peer-reflexive
      pc.addEventListener("icegatheringstatechange", function () {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  function closePc(pc) {
    if (pc) {
      try { pc.close(); } catch (e) { /* already closed */ }
    }
  }

  function negotiate(pc, event, slot) {
    return pc.createOffer()
      .then(function (offer) { return pc.setLocalDescription(offer); })
      .then(function () { return gathered(pc); })
      .then(function () { return call(event, { slot: slot, sdp: pc.localDescription.sdp }); })
      .then(function (ack) { return pc.setRemoteDescription({ type: "answer", sdp: ack.sdp }); });
  }

  function subscribe(slot) {
    closePc(state.subs[slot]);
    var pc = new RTCPeerConnection({ iceServers: iceServers });
    state.subs[slot] = pc;
    window.lectern.pcs[slot] = pc;
    if (!state.audioOnly) pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    var video = new MediaStream();
    var audio = new MediaStream();
    pc.ontrack = function (e) {
      (e.track.kind === "video" ? video : audio).addTrack(e.track);
      attach(slot, video, audio);
    };
    return negotiate(pc, "subscribe", slot);
  }

  function attach(slot, video, audio) {
    var v = $(slot === "main" ? "stage-video" : "floor-video");
    var a = $(slot === "main" ? "stage-audio" : "floor-audio");
    var mine = slot === "floor" && state.me && state.floor === state.me.id;
    if (!mine && video.getTracks().length && v.srcObject !== video) v.srcObject = video;
    if (a.srcObject !== audio) a.srcObject = audio;
    a.muted = mine; // never hear yourself back through the relay
    if (slot === "main") $("stage-empty").hidden = true;
    play(a);
  }

  function play(a) {
    var played = a.play();
    if (played && played.catch) {
      played.catch(function () { $("sound-button").hidden = false; }); // autoplay policy: needs a click
    }
  }

  function getCamera() {
    if (state.camera) return Promise.resolve(state.camera);
    var video = { width: { ideal: 1280 }, height: { ideal: 720 } };
    return navigator.mediaDevices.getUserMedia({ audio: true, video: video })
      .catch(function () { return navigator.mediaDevices.getUserMedia({ audio: true }); })
      .then(function (stream) {
        state.camera = stream;
        stream.getAudioTracks().forEach(function (tr) { tr.enabled = state.micOn; });
        stream.getVideoTracks().forEach(function (tr) { tr.enabled = state.camOn; });
        return stream;
      });
  }

  function publish(slot) {
    return getCamera().then(function (stream) {
      closePc(state.pubs[slot]);
      var pc = new RTCPeerConnection({ iceServers: iceServers });
      state.pubs[slot] = pc;
      window.lectern.pubs[slot] = pc;
      stream.getTracks().forEach(function (track) {
        var sending = track.kind === "video" && state.sharing && state.screen ? state.screen : track;
        pc.addTransceiver(sending, { direction: "sendonly", streams: [stream] });
      });
      showPreview(slot);
      return negotiate(pc, "publish", slot);
    });
  }

  function videoSender(slot) {
    var pc = state.pubs[slot];
    if (!pc) return null;
    var found = pc.getSenders().filter(function (s) { return s.track && s.track.kind === "video"; });
    return found[0] || null;
  }

  function showPreview(slot) {
    var stream = state.camera;
    if (!stream) return;
    var preview = new MediaStream(state.sharing && state.screen ? [state.screen] : stream.getVideoTracks());
    if (slot === "main") {
      $("stage-video").srcObject = preview;
      $("stage-empty").hidden = true;
    } else {
      $("floor-video").srcObject = preview;
      $("floor-tile").hidden = false;
      $("floor-name").textContent = state.me ? state.me.name + " (" + t("you") + ")" : "";
    }
  }

  function stopPublishing(slot) {
    closePc(state.pubs[slot]);
    state.pubs[slot] = null;
    delete window.lectern.pubs[slot];
  }

  function stopLocal() {
    if (state.camera) state.camera.getTracks().forEach(function (tr) { tr.stop(); });
    if (state.screen) state.screen.stop();
    state.camera = null;
    state.screen = null;
    state.sharing = false;
  }

  function stopEverything() {
    ["main", "floor"].forEach(function (slot) {
      closePc(state.subs[slot]);
      stopPublishing(slot);
    });
    stopLocal();
    ["stage-video", "stage-audio", "floor-video", "floor-audio"].forEach(function (id) { $(id).srcObject = null; });
  }

  /* ---- host controls ---- */

  function setMic(on) {
    state.micOn = on;
    if (state.camera) state.camera.getAudioTracks().forEach(function (tr) { tr.enabled = on; });
    updateControls();
  }

  function setCam(on) {
    state.camOn = on;
    if (state.camera) state.camera.getVideoTracks().forEach(function (tr) { tr.enabled = on; });
    updateControls();
  }

  function shareScreen() {
    if (!navigator.mediaDevices.getDisplayMedia) return Promise.reject(new Error(t("noScreen")));
    return navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }).then(function (stream) {
      var track = stream.getVideoTracks()[0];
      return useVideo(track).then(function () {
        state.screen = track;
        state.sharing = true;
        track.addEventListener("ended", function () { showCamera().catch(fail); });
        showPreview("main");
        updateControls();
      });
    }, function () { throw new Error(t("noScreen")); });
  }

  function showCamera() {
    var cam = state.camera && state.camera.getVideoTracks()[0];
    var screen = state.screen;
    state.sharing = false;
    state.screen = null;
    return useVideo(cam || null).then(function () {
      if (screen) screen.stop();
      showPreview("main");
      updateControls();
    });
  }

  // Switching camera and screen swaps the sender's track: no renegotiation, subscribers keep their tracks.
  function useVideo(track) {
    var sender = videoSender("main") || mainVideoSender();
    return sender ? sender.replaceTrack(track) : Promise.resolve();
  }

  function mainVideoSender() {
    var pc = state.pubs.main;
    if (!pc) return null;
    var tr = pc.getTransceivers().filter(function (x) { return x.receiver.track && x.receiver.track.kind === "video"; });
    return tr.length ? tr[0].sender : null;
  }

  function startLecture() {
    // `publishing` is set once the relay has answered, so a rejoin racing this first publish cannot repeat it.
    return publish("main").then(function () {
      state.publishing = true;
      setStatus("live");
      updateControls();
    }, function (err) {
      stopPublishing("main");
      throw err.name === "NotAllowedError" || err.name === "NotFoundError" ? new Error(t("noMedia")) : err;
    });
  }

  /* ---- the floor ---- */

  function onFloor(user) {
    var had = state.me && state.floorMine;
    state.floor = user;
    var mine = !!(state.me && user === state.me.id);
    state.floorMine = mine;
    if (mine && !had && !isHost) {
      state.micOn = true;
      state.camOn = true;
      publish("floor").then(function () { notice(t("floorGiven")); }, fail);
    } else if (!mine && had) {
      stopPublishing("floor");
      stopLocal();
      $("floor-video").srcObject = null;
      notice(t("floorTaken"));
    }
    var a = $("floor-audio");
    a.muted = mine;
    if (!mine && state.subs.floor) {
      // Back to the relay's floor stream (it was hidden behind our own preview).
      var tracks = state.subs.floor.getReceivers().map(function (r) { return r.track; });
      $("floor-video").srcObject = new MediaStream(tracks.filter(function (x) { return x.kind === "video"; }));
      // The first play() ran when this page joined, often before any click, and autoplay may have refused it;
      // the host has clicked since (Give floor), so try again now that there is someone to hear.
      if (user !== null && user !== undefined && a.paused) play(a);
    }
    $("floor-tile").hidden = user === null || user === undefined;
    var holder = (state.people || []).filter(function (p) { return p.id === user; })[0];
    if (holder && !mine) $("floor-name").textContent = holder.name;
    updateControls();
  }

  /* ---- controls' state ---- */

  function label(id, text, pressed) {
    var el = $(id);
    if (!el) return;
    el.textContent = text;
    if (pressed !== undefined) el.setAttribute("aria-pressed", pressed ? "true" : "false");
  }

  function show(id, visible) {
    var el = $(id);
    if (el) el.hidden = !visible;
  }

  function updateControls() {
    var media = isHost ? !!state.pubs.main : !!state.floorMine;
    if (isHost) {
      show("start-button", !state.pubs.main && !state.over);
      show("end-button", state.live && !state.over); // nothing to end before the start, nor after the end
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
    label("audio-only-button", state.audioOnly ? t("videoBack") : t("audioOnly"), state.audioOnly);
  }

  /* ---- participants ---- */

  function qualityOf(q) {
    if (!q || (q.rtt_ms === null && q.loss === null)) return "unknown";
    var rtt = q.rtt_ms || 0;
    var loss = q.loss || 0;
    if (rtt < 300 && loss < 0.03) return "good";
    if (rtt < 800 && loss < 0.1) return "fair";
    return "poor";
  }

  function hostAction(text, event, data, cls) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "mini" + (cls ? " " + cls : "");
    b.textContent = text;
    b.addEventListener("click", function () {
      if (event === "remove" && !window.confirm(t("removeConfirm"))) return;
      call(event, data).catch(fail);
    });
    return b;
  }

  // One row per participant, kept from one list to the next and changed in place: the list comes again at least
  // once a second in a busy room, and a button rebuilt between the instructor's press and release loses the click.
  var rows = new Map();

  function personRow(id) {
    var row = rows.get(id);
    if (row) return row;
    row = { li: document.createElement("li"), dot: document.createElement("span"), tools: null, toolsKey: "" };
    row.li.className = "person";
    row.li.dataset.user = String(id);
    var who = document.createElement("span");
    who.className = "who";
    row.name = document.createElement("span");
    row.name.className = "name";
    row.role = document.createElement("span");
    row.role.className = "role";
    who.append(row.name, row.role);
    row.who = who;
    row.hand = document.createElement("span");
    row.hand.className = "tag tag-hand";
    row.floor = document.createElement("span");
    row.floor.className = "tag tag-floor";
    row.li.append(row.dot, who);
    rows.set(id, row);
    return row;
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  // A tag is in the row only while it holds: its text must not linger for screen readers.
  function showTag(row, tag, on, text) {
    setText(tag, text);
    if (!on) {
      tag.remove();
    } else if (tag.parentNode !== row.li) {
      var after = tag === row.hand || row.hand.parentNode !== row.li ? row.who : row.hand;
      after.after(tag);
    }
  }

  function updateRow(row, p) {
    row.li.classList.toggle("has-hand", !!p.hand);
    row.li.classList.toggle("has-floor", !!p.floor);
    var quality = qualityOf(p.quality);
    row.dot.className = "dot q-" + quality;
    var title = t("quality" + quality.charAt(0).toUpperCase() + quality.slice(1));
    if (p.quality && p.quality.rtt_ms !== null) title += " · " + Math.round(p.quality.rtt_ms) + " ms";
    row.dot.title = title;
    setText(row.name, p.name + (state.me && p.id === state.me.id ? " (" + t("you") + ")" : ""));
    setText(row.role, t("part" + p.part.charAt(0).toUpperCase() + p.part.slice(1)));
    showTag(row, row.hand, !!p.hand, t("hand"));
    showTag(row, row.floor, !!p.floor, t("floor"));
    var toolsKey = isHost && p.part !== "host" && p.part !== "observer" ? (p.floor ? "floor" : "seat") : "";
    if (toolsKey && state.moderator) toolsKey += "+remove"; // only those who run the lecture may remove
    if (toolsKey === row.toolsKey) return;
    if (row.tools) row.tools.remove();
    row.tools = null;
    row.toolsKey = toolsKey;
    if (!toolsKey) return;
    row.tools = document.createElement("span");
    row.tools.className = "person-tools";
    row.tools.append(
      p.floor ? hostAction(t("takeFloor"), "floor", { user: null }) : hostAction(t("giveFloor"), "floor", { user: p.id }),
      hostAction(t("mute"), "mute", { user: p.id })
    );
    if (state.moderator) row.tools.append(hostAction(t("remove"), "remove", { user: p.id }, "danger"));
    row.li.append(row.tools);
  }

  // Those who may remove people see whom they removed, and can let them back in.
  function renderRemoved(people) {
    var panel = $("removed-panel");
    if (!panel) return;
    panel.hidden = !state.moderator || !people.length;
    var list = $("removed-list");
    list.textContent = "";
    people.forEach(function (p) {
      var li = document.createElement("li");
      li.className = "person";
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = p.name;
      var tools = document.createElement("span");
      tools.className = "person-tools";
      tools.append(hostAction(t("readmit"), "readmit", { user: p.id }));
      li.append(name, tools);
      list.append(li);
    });
  }

  function renderParticipants(people) {
    state.people = people;
    var list = $("participants");
    $("people-count").textContent = String(people.length);
    var present = new Set();
    people.forEach(function (p, i) {
      present.add(p.id);
      var row = personRow(p.id);
      updateRow(row, p);
      if (list.children[i] !== row.li) list.insertBefore(row.li, list.children[i] || null);
    });
    rows.forEach(function (row, id) {
      if (!present.has(id)) {
        row.li.remove();
        rows.delete(id);
      }
    });
    if (state.me) {
      var me = people.filter(function (p) { return p.id === state.me.id; })[0];
      if (me) state.hand = me.hand;
    }
    var holder = people.filter(function (p) { return p.floor; })[0];
    if (holder && !state.floorMine) $("floor-name").textContent = holder.name;
    updateControls();
  }

  /* ---- chat ---- */

  // Times in the academy's timezone (the page says so in its footer) and the UI language's conventions, not the
  // browser's: a cadet's laptop may be set to anywhere.
  var chatTime = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    timeZone: d.timezone || undefined,
    hour: "numeric",
    minute: "2-digit",
  });

  function addChat(m) {
    var log = $("chat-log");
    var li = document.createElement("li");
    li.className = "msg" + (state.me && m.user === state.me.id ? " mine" : "");
    var head = document.createElement("span");
    head.className = "msg-head";
    var name = document.createElement("strong");
    name.textContent = m.name;
    var time = document.createElement("time");
    time.dateTime = m.at;
    time.textContent = chatTime.format(new Date(m.at));
    head.append(name, time);
    var text = document.createElement("span");
    text.className = "msg-text";
    text.textContent = m.text;
    li.append(head, text);
    log.append(li);
    log.scrollTop = log.scrollHeight;
  }

  /* ---- connection quality, from this browser's own statistics ---- */

  var last = {};
  function measure() {
    var pcs = [state.subs.main, state.subs.floor, state.pubs.main, state.pubs.floor].filter(Boolean);
    if (!pcs.length || !socket.connected || state.over) return;
    Promise.all(pcs.map(function (pc) { return pc.getStats(); })).then(function (reports) {
      var rtt = null, lost = 0, got = 0, bytes = 0;
      reports.forEach(function (report) {
        report.forEach(function (s) {
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
      var now = performance.now();
      var q = { rtt_ms: rtt === null ? null : Math.min(rtt, 60000), loss: null, kbps: null };
      if (last.at) {
        var dLost = lost - last.lost, dGot = got - last.got;
        if (dLost + dGot > 0) q.loss = Math.max(0, Math.min(1, dLost / (dLost + dGot)));
        q.kbps = Math.max(0, Math.min(1000000, ((bytes - last.bytes) * 8) / (now - last.at)));
      }
      last = { at: now, lost: lost, got: got, bytes: bytes };
      return call("quality", q);
    }).catch(function () { /* statistics are best effort */ });
  }
  setInterval(measure, 3000);

  /* ---- wiring ---- */

  function on(id, handler) {
    var el = $(id);
    if (el) el.addEventListener("click", function () {
      el.disabled = true;
      joined.promise.then(handler).catch(fail).then(function () { el.disabled = false; });
    });
  }

  on("start-button", startLecture);
  on("end-button", function () {
    if (!window.confirm(t("endConfirm"))) return null;
    return call("end");
  });
  on("mic-button", function () { setMic(!state.micOn); });
  on("camera-button", function () { setCam(!state.camOn); });
  on("screen-button", function () { return state.sharing ? showCamera() : shareScreen(); });
  on("hand-button", function () {
    state.hand = !state.hand;
    updateControls();
    return call("hand", { raised: state.hand });
  });
  on("audio-only-button", function () {
    state.audioOnly = !state.audioOnly;
    updateControls();
    // A weak link: re-subscribe with an offer that has no video section at all.
    var work = [];
    if (!isHost) work.push(subscribe("main"));
    work.push(subscribe("floor"));
    if (state.audioOnly) $("stage-video").srcObject = null;
    return Promise.all(work);
  });
  // Not through on(): play() must run in the click itself (autoplay policy), not after waiting for the join.
  $("sound-button").addEventListener("click", function () {
    $("sound-button").hidden = true;
    Promise.all([$("stage-audio").play(), $("floor-audio").play()]).catch(function () {});
  });
  $("chat-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("chat-text");
    var text = input.value.trim();
    if (!text) return;
    joined.promise.then(function () { return call("chat", { text: text }); }).then(function () { input.value = ""; }, fail);
  });
  window.addEventListener("pagehide", function () { stopEverything(); });
  updateControls();
})();
