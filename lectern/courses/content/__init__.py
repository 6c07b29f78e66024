"""A course's content: modules, lessons, uploaded files, Markdown, progress and completion."""
