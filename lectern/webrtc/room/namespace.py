"""The lecture room's Socket.IO namespace, `/lecture`: the protocol of signalling.py, checked and carried out.

Every event is validated by `signalling.parse` first (namespace_events.py), then checked against the sender's
admission to the lecture its socket joined (the sign-in with every event; the rest of services.admission every
ADMISSION_INTERVAL seconds: a socket whose access has ended is closed, see access_watch.py), then done with one
commit. Relay peer ids are made here from the socket id: a browser can never name a peer, so it cannot signal for
anyone else. A refused message gets an `error` event and a failed ack, to its sender only; nobody else notices.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room, leave_room

from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.models import User, utcnow
from lectern.platform.roles import signed_in_user
from lectern.webrtc import removals, services
from lectern.webrtc.models import ChatMessage, Lecture, LectureStatus
from lectern.webrtc.recordings import services as recordings
from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.provider import ice_servers, relay
from lectern.webrtc.room import access_watch, relays, signalling, stays
from lectern.webrtc.room.access_watch import rooms
from lectern.webrtc.room.events import Final, Refused, db_scope, handles, hosts_of, relay_id, room_of
from lectern.webrtc.room.receiving import ReceiveEvents
from lectern.webrtc.room.recording import RecordingEvents, recording_state
from lectern.webrtc.room.slides import SlidesEvents
from lectern.webrtc.room.state import Seat
from lectern.webrtc.services import Part

logger = logging.getLogger(__name__)
CHAT_HISTORY = 200


def _standing(user: User) -> tuple[object, ...]:
    """What of the signed-in user, read by the user loader with every message, decides their part in a lecture."""
    return (user.role, user.academy_id)


def _sender() -> User:
    """The signed-in sender of a message. A socket outlives its sign-in (a sign-out in another tab): a message sent
    after it is refused for good, as `_checked` refuses it."""
    if not current_user.is_authenticated:
        raise Final(_("You may not join this lecture."))
    return signed_in_user()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _removed_list(lecture: Lecture) -> list[dict[str, Any]]:
    """The people removed from the lecture, as its hosts see them."""
    return [{"id": u.id, "name": u.full_name} for u in removals.removed(db.session, lecture)]


def chat_entry(message: ChatMessage) -> dict[str, Any]:
    """A chat message as the room sees it."""
    return {
        "id": message.id,
        "user": message.user_id,
        "name": message.user.full_name,
        "text": message.body,
        "at": _iso(message.created_at),
    }


class LectureNamespace(ReceiveEvents, SlidesEvents, RecordingEvents, Namespace):
    """`/lecture`: one Socket.IO room per lecture; see signalling.py for the protocol."""

    # -- connection --

    def on_connect(self, auth: Any = None) -> None:
        """Only signed-in users may open the socket."""
        if not current_user.is_authenticated:
            raise ConnectionRefusedError(_("Please sign in to open this page."))

    def on_disconnect(self, reason: Any = None) -> None:
        """Record the departure, free the relay peers, tell the room."""
        sid = request.sid  # type: ignore[attr-defined]
        try:
            seat = rooms().pop(sid)
            if seat is None:
                return
            with db_scope():
                self._vacate(seat)
                lecture = db.session.get(Lecture, seat.lecture_id)
                self._broadcast_participants(seat.lecture_id, lecture.floor_user_id if lecture else None)
        finally:
            rooms().closed(sid)  # who waits for this socket to close sees it gone, and the room told

    # -- helpers --

    def _checked(self) -> Seat:
        """The sender's seat while its socket may stay in the lecture: a socket outlives the page, and a sign-out,
        a suspension, a password change, a removal or a change of role ends its rights. The message's user loader
        proves the sign-in open and the account active (one query); the rest of the admission is read again every
        ADMISSION_INTERVAL seconds, or at once when the user's role or academy changed (access_watch.py closes
        sockets whose access ended within a second anyway). A socket no longer admitted is closed (its seat, relay
        peers and place in the room freed) and the message refused for good."""
        seat = rooms().get(request.sid)  # type: ignore[attr-defined]
        if seat is None:
            raise Refused(_("Join the lecture first."))
        same_sign_in = current_user.is_authenticated and current_user.login_session_id == seat.login_session_id
        if not same_sign_in or (
            rooms().admission_due(seat, _standing(user := signed_in_user())) and not self._still_admitted(seat, user)
        ):
            access_watch.close(rooms(), seat, access_watch.farewell(db.session, seat))
            raise Final(_("You may not join this lecture."))
        return seat

    def _still_admitted(self, seat: Seat, user: User) -> bool:
        """Read the seat's admission again (for a user the request loaded); a host who may no longer remove people
        stops hearing of removals."""
        found = services.admission_of(db.session, user, seat.lecture_id)
        if found is None or found[1] is not seat.part:
            return False
        if seat.moderator and not removals.may_remove(db.session, user, found[0]):
            seat.moderator = False
            leave_room(hosts_of(seat.lecture_id), sid=seat.sid)
        return True

    def _seat(self) -> tuple[Seat, Lecture]:
        """The sender's seat (`_checked`) and its lecture."""
        seat = self._checked()
        lecture = db.session.get(Lecture, seat.lecture_id)  # read already if the admission was
        if lecture is None:  # deleted since the admission was last read
            access_watch.close(rooms(), seat, "access_ended")
            raise Final(_("You may not join this lecture."))
        return seat, lecture

    def _context(self, *allowed: Part) -> tuple[Seat, Lecture, Part]:
        """The sender's seat, lecture and part, refused unless the part is one of `allowed`."""
        seat, lecture = self._seat()
        if allowed and seat.part not in allowed:
            raise Refused(_("not allowed"))
        return seat, lecture, seat.part

    def _vacate(self, seat: Seat) -> None:
        """Close a seat: departure recorded (committed), its relay peers gone, and the socket out of the lecture's
        room, so it hears nothing more of it."""
        leave_room(room_of(seat.lecture_id), sid=seat.sid)
        leave_room(hosts_of(seat.lecture_id), sid=seat.sid)
        stays.leave(db.session, rooms(), seat)
        for (_direction, slot), peer in rooms().take_peers(seat).items():
            try:
                relay().leave(relay_id(seat.lecture_id, slot), peer)
            except RelayError:
                logger.warning("relay peer %s did not leave cleanly", peer)

    def _broadcast_participants(self, lecture_id: int, floor_user_id: int | None) -> None:
        emit("participants", rooms().participants(lecture_id, floor_user_id), to=room_of(lecture_id))

    def _drop_peer(self, seat: Seat, direction: str, slot: str) -> None:
        peer = rooms().detach_peer(seat, (direction, slot))
        if peer is not None:
            relay().leave(relay_id(seat.lecture_id, slot), peer)

    def _connect_peer(self, seat: Seat, direction: str, slot: str, sdp: str) -> str:
        """Make this socket's relay peer for a slot from its offer and return the relay's answer. The relay may
        take a while (ICE gathering): if the socket was closed meanwhile, its seat is gone with the peers it had,
        so this peer is left at once (a publisher's slot would refuse every later publisher)."""
        target = relay_id(seat.lecture_id, slot)
        lecture_region, region = relays.regions(seat)
        relay().open_lecture(target, lecture_region)
        self._drop_peer(seat, direction, slot)  # a second offer from this socket replaces the first
        peer = seat.new_peer_id(direction, slot)
        if direction == "publish":
            answer = relay().publish(target, peer, sdp, region)
        else:
            answer = relay().subscribe(target, peer, sdp, region)
        if not rooms().attach_peer(seat, (direction, slot), peer):
            relay().leave(target, peer)
            raise Final(_("You may not join this lecture."))
        return answer

    def _drop_floor_publishers(self, lecture_id: int, user_id: int) -> None:
        for seat in rooms().seats_of(lecture_id, user_id):
            self._drop_peer(seat, "publish", "floor")

    def _set_floor(self, lecture: Lecture, user_id: int | None) -> None:
        old = lecture.floor_user_id
        lecture.floor_user_id = user_id
        if user_id != old:
            holder = db.session.get(User, user_id) if user_id is not None else None
            title = _("%(name)s has the floor", name=holder.full_name) if holder else _("The floor is taken back")
            recordings.mark(db.session, lecture, title, utcnow())
        db.session.commit()
        if old is not None and old != user_id:
            self._drop_floor_publishers(lecture.id, old)
        if user_id is not None:
            rooms().answer_hands(lecture.id, user_id)  # the floor answers the raised hand
        emit("floor", {"user": user_id}, to=room_of(lecture.id))
        self._broadcast_participants(lecture.id, user_id)

    # -- joining --

    @handles("join")
    def on_join(self, msg: signalling.Join) -> dict[str, Any]:
        """Enter a lecture room: attendance starts, the room learns, the ack carries the room's state."""
        user = _sender()
        lecture, part = services.get_lecture(db.session, user, msg.lecture)
        if lecture.status in (LectureStatus.ENDED, LectureStatus.CANCELLED):
            raise Final(_("This lecture is over."))
        if services.is_removed(db.session, lecture.id, user.id):
            raise Final(_("You were removed from this lecture."))
        state = rooms()
        sid = request.sid  # type: ignore[attr-defined]
        previous = state.pop(sid)
        if previous is not None:
            self._vacate(previous)
        moderator = removals.may_remove(db.session, user, lecture)
        seat = Seat(sid, user.id, user.full_name, lecture.id, part, 0, user.login_session_id)
        seat.moderator, seat.standing = moderator, _standing(user)
        stays.take_seat(db.session, state, seat, lecture, user)  # its stay committed, then seated
        join_room(room_of(lecture.id))
        if moderator:
            join_room(hosts_of(lecture.id))
        # A removal or sign-out committed since the checks above found no seat to close: read again, seated.
        if access_watch.admitted(db.session, seat, utcnow()) is None:
            farewell = access_watch.farewell(db.session, seat)
            access_watch.close(state, seat, farewell)
            if farewell == "removed":
                raise Final(_("You were removed from this lecture."))
            raise Final(_("You may not join this lecture."))
        self._broadcast_participants(lecture.id, lecture.floor_user_id)
        return {
            "ok": True,
            "part": part.value,
            "me": {"id": user.id, "name": user.full_name},
            "lecture": {
                "id": lecture.id,
                "title": lecture.title,
                "status": lecture.status.value,
                "started_at": _iso(lecture.started_at),
            },
            "participants": state.participants(lecture.id, lecture.floor_user_id),
            "chat": [chat_entry(m) for m in services.chat_history(db.session, lecture, CHAT_HISTORY)],
            "floor": lecture.floor_user_id,
            "hands": state.hands(lecture.id),
            "ice_servers": ice_servers(current_app, user.id),
            "moderator": moderator,
            "removed": _removed_list(lecture) if moderator else [],
            "slides": self._slides_now(lecture),
            "recording": recording_state(recordings.active(db.session, lecture)),
        }

    # -- the host's controls --

    def _go_live(self, lecture: Lecture) -> None:
        if lecture.status is LectureStatus.LIVE:
            return
        services.start(db.session, lecture, utcnow())
        db.session.commit()
        emit("live", {"started_at": _iso(lecture.started_at)}, to=room_of(lecture.id))
        if lecture.course.record_lectures:
            self._record_from_the_start(lecture)

    @handles("start")
    def on_start(self, msg: signalling.Empty) -> dict[str, Any]:
        """The host opens the lecture."""
        _seat, lecture, _part = self._context(Part.HOST)
        self._go_live(lecture)
        return {"ok": True, "started_at": _iso(lecture.started_at)}

    @handles("end")
    def on_end(self, msg: signalling.Empty) -> dict[str, Any]:
        """The host ends the lecture for everyone: attendance closed, relay closed, sockets disconnected."""
        _seat, lecture, _part = self._context(Part.HOST)
        now = utcnow()
        if lecture.status is LectureStatus.SCHEDULED:
            services.start(db.session, lecture, now)
        self._stop_recording(lecture)
        services.end(db.session, lecture, now)
        db.session.commit()
        emit("ended", {}, to=room_of(lecture.id))
        for slot in signalling.SLOTS:
            relay().close_lecture(relay_id(lecture.id, slot))
        for seat in rooms().seats(lecture.id):
            rooms().pop(seat.sid)
            rooms().take_peers(seat)  # the relay lectures are closed already
            if seat.sid != request.sid:  # type: ignore[attr-defined]
                self.disconnect(seat.sid)
        # The host's own socket stays until its browser, told by "ended", closes it: disconnecting it here
        # would lose this ack.
        return {"ok": True}

    @handles("floor")
    def on_floor(self, msg: signalling.Target) -> dict[str, Any]:
        """The host gives the floor to someone in the room, or takes it back (null)."""
        _seat, lecture, _part = self._context(Part.HOST)
        if msg.user is not None and not rooms().sockets_of(lecture.id, msg.user):  # on any instance
            raise Refused(_("This participant is not in the room."))
        self._set_floor(lecture, msg.user)
        return {"ok": True, "floor": msg.user}

    @handles("mute")
    def on_mute(self, msg: signalling.Target) -> dict[str, Any]:
        """The host asks a participant's browser to turn its microphone off."""
        _seat, lecture, _part = self._context(Part.HOST)
        targets = rooms().sockets_of(lecture.id, msg.user or 0)  # on any instance: the queue carries the emit
        if not targets:
            raise Refused(_("This participant is not in the room."))
        for sid in targets:
            emit("muted", {}, to=sid)
        return {"ok": True}

    @handles("remove")
    def on_remove(self, msg: signalling.Target) -> dict[str, Any]:
        """Send a participant out; they cannot come back to this lecture until a host lets them."""
        _seat, lecture, _part = self._context(Part.HOST)
        user_id = msg.user or 0
        removals.remove(db.session, signed_in_user(), lecture, user_id, utcnow())
        if lecture.floor_user_id == user_id:
            self._set_floor(lecture, None)  # commits
        db.session.commit()  # every instance closes the removed user's sockets now (access_watch)
        # This instance's at once, so that the host's list is right when the ack comes.
        access_watch.check(current_app._get_current_object(), [user_id])  # type: ignore[attr-defined]
        emit("removals", _removed_list(lecture), to=hosts_of(lecture.id))
        return {"ok": True}

    @handles("readmit")
    def on_readmit(self, msg: signalling.Target) -> dict[str, Any]:
        """Undo a removal: the participant may join again."""
        _seat, lecture, _part = self._context(Part.HOST)
        removals.readmit(db.session, signed_in_user(), lecture, msg.user or 0)
        db.session.commit()
        emit("removals", _removed_list(lecture), to=hosts_of(lecture.id))
        return {"ok": True}

    # -- media --

    @handles("publish")
    def on_publish(self, msg: signalling.Offer) -> dict[str, Any]:
        """Main: the host (the lecture goes live). Floor: the floor holder. The relay answers the offer."""
        seat, lecture, part = self._context()
        if msg.slot == "main":
            if part is not Part.HOST:
                raise Refused(_("not allowed"))
            self._go_live(lecture)
        elif lecture.floor_user_id != seat.user_id or part is Part.OBSERVER:
            raise Refused(_("You do not have the floor."))
        elif lecture.status is not LectureStatus.LIVE:
            raise Refused(_("The lecture has not started yet."))
        return {"ok": True, "sdp": self._connect_peer(seat, "publish", msg.slot, msg.sdp)}

    @handles("unpublish")
    def on_unpublish(self, msg: signalling.Slot) -> dict[str, Any]:
        """Stop this socket's publisher in a slot."""
        seat = self._checked()
        self._drop_peer(seat, "publish", msg.slot)
        return {"ok": True}

    @handles("subscribe")
    def on_subscribe(self, msg: signalling.Offer) -> dict[str, Any]:
        """Anyone in the room receives a slot (an audio-only offer too); re-subscribing replaces the old one."""
        seat, _lecture, _part = self._context()
        answer = self._connect_peer(seat, "subscribe", msg.slot, msg.sdp)
        self._apply_receive(seat, msg.slot)  # the socket's receive choice holds for every subscription
        return {"ok": True, "sdp": answer}

    @handles("ice")
    def on_ice(self, msg: signalling.Candidate) -> dict[str, Any]:
        """A trickled candidate for one of this socket's own peers (and no one else's)."""
        seat = self._checked()
        peer = seat.peers.get((msg.direction, msg.slot))
        if peer is None:
            raise Refused(_("There is no such connection to add a candidate to."))
        relay().add_ice_candidate(
            relay_id(seat.lecture_id, msg.slot), peer, msg.candidate, msg.sdp_mid, msg.sdp_mline_index
        )
        return {"ok": True}

    # -- the room --

    @handles("chat")
    def on_chat(self, msg: signalling.Chat) -> dict[str, Any]:
        """Say something to the room; it is kept for the chat history."""
        _seat, lecture, _part = self._context()
        message = services.say(db.session, lecture, signed_in_user(), msg.text, utcnow())
        db.session.commit()
        entry = chat_entry(message)
        emit("chat", entry, to=room_of(lecture.id))
        return {"ok": True, "id": entry["id"]}

    @handles("hand")
    def on_hand(self, msg: signalling.Hand) -> dict[str, Any]:
        """Raise or lower a hand."""
        seat, lecture, _part = self._context()
        rooms().raise_hand(seat, msg.raised)
        self._broadcast_participants(lecture.id, lecture.floor_user_id)
        return {"ok": True}

    @handles("quality")
    def on_quality(self, msg: signalling.Quality) -> dict[str, Any]:
        """The browser's own link quality, and the relay's view of it (in the ack too); the room hears of them at
        most once a second."""
        seat = self._checked()
        link = self._link(seat)
        rooms().report(seat, {"rtt_ms": msg.rtt_ms, "loss": msg.loss, "kbps": msg.kbps}, link)
        if rooms().quality_due(seat.lecture_id) and (lecture := db.session.get(Lecture, seat.lecture_id)):
            self._broadcast_participants(seat.lecture_id, lecture.floor_user_id)
        return {"ok": True, "link": link}
