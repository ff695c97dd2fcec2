"""Argo CD: deployments from applications' sync history (``GET /api/v1/applications``), from a
file or live."""
from __future__ import annotations

from ....registry.source import Option, SourceSpec, SyncSpec
from .reader import argocd_reader
from .sync import TOKEN, argocd_auth, argocd_batches, argocd_events

PRODUCTION = Option(
    "production", metavar="NAMESPACE|KEY=VALUE",
    help="the destination namespace, or the application label KEY=VALUE, whose applications are production",
    default_help="every application")

SOURCE = SourceSpec(
    name="argocd",
    title="Argo CD applications (JSON)",
    describe="Argo CD `GET /api/v1/applications` (or one application): each `status.history` entry, a completed "
             "sync, is a successful `deploy` at `deployedAt`; service the application, deploy_id `APP@ID`; "
             "`--production` names the destination namespace or label `KEY=VALUE` that is production (default: "
             "every application). Live sync: `ARGOCD_TOKEN`, `--api-url` required (Argo CD keeps the last "
             "`revisionHistoryLimit` syncs, 10 by default: sync more often than that many syncs happen)",
    reader=argocd_reader,
    options=(PRODUCTION,),
    sync=SyncSpec(
        credentials=(TOKEN,), auth=argocd_auth, batches=argocd_batches, events=argocd_events, api_url="",
        target=Option("application", metavar="NAME", help="sync this application only",
                      default_help="every application"),
        options=(PRODUCTION,)),
)
