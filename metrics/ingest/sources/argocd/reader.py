"""Argo CD applications (``GET /api/v1/applications``, or one ``GET /api/v1/applications/NAME``)
-> deploy events, one per entry of each application's ``status.history``."""
from __future__ import annotations

from pathlib import Path

from .... import schema as s
from ...report import RawRows
from ..api_records import recognised
from ..common import as_dict, count_skip, json_documents, raw_rows

NOT_ARGOCD = ("not Argo CD applications (expected the JSON of GET /api/v1/applications, an object with 'items', "
              "or of one application, an object with 'metadata' and 'status')")


def argocd_reader(production: str | None = None):
    """A reader of Argo CD's applications API JSON: an ``ApplicationList`` (``GET
    /api/v1/applications``), one ``Application`` (``GET /api/v1/applications/NAME``), a JSON array
    of applications, or several of these one after another.

    Each entry of an application's ``status.history`` (Argo CD records one per completed sync) is a
    successful deploy at its ``deployedAt``; service the application's name; deploy_id
    ``APP@ID`` (history ids count per application). ``production`` names the destination namespace
    (``prod``) or the application label (``KEY=VALUE``) whose applications are production; the
    others keep their destination namespace as the environment. Without it every application is
    production. Numbered by application."""
    def read_argocd(text: str, path: Path) -> RawRows:
        return events_from_argocd(applications_of(json_documents(text, path.name), path.name), production)
    return read_argocd


def is_application(value) -> bool:
    """Whether ``value`` looks like an Argo CD ``Application`` object."""
    return isinstance(value, dict) and isinstance(value.get("metadata"), dict) and ("status" in value or "spec" in value)


def is_application_list(value) -> bool:
    """Whether ``value`` looks like an ``ApplicationList`` (``items`` a list, or null when empty)."""
    return isinstance(value, dict) and "items" in value and (value["items"] is None or isinstance(value["items"], list))


def applications_of(docs: list, name: str) -> list:
    """The applications of every document (a list's other values come along, to be rejected one
    by one); LoadError naming the file when a document is not Argo CD's."""
    found = recognised(docs, lambda d: is_application(d) or is_application_list(d), name, NOT_ARGOCD)
    return [app for doc in found for app in ((doc["items"] or []) if is_application_list(doc) else [doc])]


def counts_as_production(app: dict, production: str | None) -> bool:
    """Whether ``app``'s deployments are production: every application without ``production``;
    else those whose destination namespace is ``production``, or whose label matches ``KEY=VALUE``."""
    if not production:
        return True
    if "=" in production:
        key, value = (part.strip() for part in production.split("=", 1))
        return as_dict(as_dict(app.get("metadata")).get("labels")).get(key) == value
    namespace = as_dict(as_dict(app.get("spec")).get("destination")).get("namespace")
    return isinstance(namespace, str) and namespace.strip().lower() == production.strip().lower()


def destination_of(app: dict) -> str:
    """The environment of an application that is not production: its destination namespace (or the
    destination cluster's name or server), never the word production."""
    destination = as_dict(as_dict(app.get("spec")).get("destination"))
    where = next((v.strip() for v in (destination.get("namespace"), destination.get("name"), destination.get("server"))
                  if isinstance(v, str) and v.strip()), "unknown destination")
    return f"{where} (not --production)" if where.lower() == s.PRODUCTION else where


def history_id(entry: dict) -> str | None:
    """A history entry's id as text (an integer, or digits as the gRPC gateway may send int64s), or None."""
    ident = entry.get("id")
    if isinstance(ident, int) and not isinstance(ident, bool):
        return str(ident)
    if isinstance(ident, str) and ident.strip().isdigit():
        return ident.strip()
    return None


def events_from_argocd(apps: list, production: str | None = None) -> RawRows:
    """Argo CD applications as raw deploy events, numbered by application: the mapping
    ``import --from argocd`` and the live sync share (see ``argocd_reader``)."""
    rows, numbers, bad, skipped, warnings = [], [], [], {}, []
    production_apps = 0
    for number, app in enumerate(apps, start=1):
        if not isinstance(app, dict):
            bad.append((number, f"not a JSON object ({type(app).__name__})"))
            continue
        name = as_dict(app.get("metadata")).get("name")
        if not isinstance(name, str) or not name.strip():
            bad.append((number, "not an Argo CD application (no metadata.name)"))
            continue
        history = as_dict(app.get("status")).get("history")
        if history is not None and not isinstance(history, list):
            bad.append((number, f"application {name[:60]!r}: status.history is not a list"))
            continue
        if not history:
            count_skip(skipped, "applications never synced (no status.history)")
            continue
        production_app = counts_as_production(app, production)
        production_apps += production_app
        environment = s.PRODUCTION if production_app else destination_of(app)
        for position, entry in enumerate(history, start=1):
            where = f"application {name[:60]!r} history entry {position}"
            ident = history_id(as_dict(entry))
            if not isinstance(entry, dict):
                bad.append((number, f"{where} is not a JSON object"))
            elif ident is None:
                bad.append((number, f"{where} has no id" if entry.get("id") is None else
                            f"{where} has an id that is not a whole number ({str(entry['id'])[:20]})"))
            elif not isinstance(entry.get("deployedAt"), str) or not entry["deployedAt"].strip():
                bad.append((number, f"{where} has no deployedAt"))
            else:
                rows.append({"ts": entry["deployedAt"], "kind": s.DEPLOY, "service": name, "status": "success",
                             "deploy_id": f"{name}@{ident}", "environment": environment})
                numbers.append(number)
    if production and rows and not production_apps:
        warnings.append(unmatched_production(production))
    return raw_rows(rows, numbers, bad, "application", skipped, warnings)


def unmatched_production(production: str) -> str:
    """The warning when no application is production by ``production``."""
    return (f"no application matches --production {production!r} (a destination namespace, or a label KEY=VALUE): "
            f"none of their deployments count as production")
