"""The dashboard. ``python app.py [--seed N] [--days N] [--scenario S] [--host H] [--port P]``;
for a team: ``gunicorn app:server -w 4 -b 0.0.0.0:8050``."""
import sys

from dashboard.app import create_app, main

app = create_app()
server = app.server          # gunicorn app:server

if __name__ == "__main__":
    sys.exit(main())
