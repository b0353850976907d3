"""gunicorn entry point: `gunicorn services.gateway.wsgi:app`. Collaborators open lazily in each worker."""
from services.gateway.app import create_app

app = create_app()
