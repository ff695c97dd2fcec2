"""The dashboard. ``python app.py [--seed N] [--days N] [--scenario S] [--host H] [--port P]``;
for a team: ``METRICS_AUTH=basic METRICS_SECRET_KEY=... gunicorn app:server -w 4 -b 0.0.0.0:8050``
(without sign-in the server answers only clients on its own machine)."""
import sys

from dashboard.app import create_app, main
from dashboard.auth import AuthConfigError

try:
    app = create_app()
except AuthConfigError as e:                  # a sentence, not a traceback, when gunicorn loads this file
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
server = app.server          # gunicorn app:server

if __name__ == "__main__":
    sys.exit(main())
