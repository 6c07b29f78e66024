"""Building a quiz: its settings and its questions."""
