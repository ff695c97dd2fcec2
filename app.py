"""The dashboard. ``python app.py [--seed N] [--days N] [--scenario S] [--host H] [--port P]``;
for a team: ``METRICS_AUTH=basic METRICS_SECRET_KEY=... gunicorn app:server -w 4 -b 0.0.0.0:8050``
(without sign-in the server answers only clients on its own machine)."""
import sys

from dashboard.app import create_app, main
from dashboard.auth import AuthConfigError
from metrics import store

try:
    app = create_app()
    waiting = store.at_start()                # the database's schema made current, or refused
except (AuthConfigError, store.Refused) as e:     # a sentence, not a traceback, when gunicorn loads this file
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
if waiting:
    print(f"warning: {waiting} (/health answers 503 until it does)", file=sys.stderr)
server = app.server          # gunicorn app:server

if __name__ == "__main__":
    sys.exit(main())
