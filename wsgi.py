"""gunicorn's entry point: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""

from lectern import create_app

app = create_app()
