"""Live lectures: scheduling, signalling and the forwarding relay (SFU) built on aiortc. Imports the courses and
platform areas."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the lectures area: its pages, the lecture room's Socket.IO namespace, and what it adds to the
    platform's and the courses' pages. Runs before `socketio.init_app`, which takes the namespace."""
    from lectern.extensions import socketio
    from lectern.webrtc import templating, views
    from lectern.webrtc.recordings import services as recording_services
    from lectern.webrtc.recordings import views as recording_views
    from lectern.webrtc.room.namespace import LectureNamespace
    from lectern.webrtc.slides import views as slides_views

    app.register_blueprint(views.bp)
    app.register_blueprint(slides_views.bp)
    app.register_blueprint(recording_views.bp)
    recording_services.remove_with_course()
    # `socketio` is module-level and create_app runs many times (tests): register the namespace once.
    if not any(isinstance(h, LectureNamespace) for h in socketio.namespace_handlers):
        socketio.on_namespace(LectureNamespace("/lecture"))
    templating.init_app(app)
