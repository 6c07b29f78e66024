"""Slides that need no video: a PDF rendered once to page images (render.py), the lecture's decks and current page
(service.py), their HTTP routes (views.py); the page changes travel over Socket.IO (room/slides.py)."""
