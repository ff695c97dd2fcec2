"""CDEvents v0.4 / v0.5 -> events (files and CloudEvents webhooks)."""
from .... import schema as s
from ....registry.source import Option, SourceSpec
from ..common import DEFAULT_DEPLOY_PATTERN, DEPLOY_WORKFLOW_OPTION, PRODUCTION_OPTION
from . import webhook
from .reader import cdevents_reader


def reader(deploy_workflow: str = DEFAULT_DEPLOY_PATTERN, production: str = s.PRODUCTION, repo_service=None):
    """``cdevents_reader`` with the command line's options (``--repo-service`` given twice for a
    repository: the last one counts)."""
    last = {repo: service if isinstance(service, str) else service[-1]
            for repo, service in (repo_service or {}).items()}
    return cdevents_reader(deploy_workflow, production, last)


SOURCE = SourceSpec(
    name="cdevents", title="CDEvents (JSON, NDJSON)", reader=reader, order=80,
    options=(DEPLOY_WORKFLOW_OPTION, PRODUCTION_OPTION,
             Option("repo_service", "the changes of repository REPO are service SERVICE's (repeatable; otherwise "
                    "linked through the artifacts the deployments name)", kind="pairs", metavar="REPO=SERVICE")),
    webhook=webhook.WEBHOOK,
    reads="CDEvents v0.4 / v0.5 as JSON or NDJSON, bare or wrapped in CloudEvents",
    describe=("change created / reviewed / merged, service deployed / upgraded / rolledback (a rollback), "
              "pipelinerun finished of a pipeline matching `--deploy-workflow`, incident detected / resolved. A "
              "change belongs to the service that deploys its repository: linked through the artifact a deployment "
              "names (`artifactId`) and the `artifact.packaged` / `published` event that says which repository built "
              "it, through a `pkg:github/ORG/REPO` artifact, or by `--repo-service REPO=SERVICE` (repeatable), so "
              "lead time works across a whole stream"),
    records=(
        ("change created / reviewed / merged",
         ("`pr_created` / `pr_reviewed` / `pr_merged` at the context timestamp; `pr_id` the subject id; service the "
          "service that deploys the repository (below), else the repository's name; the spec's change events "
          "(v0.4) carry no first commit and no size, so their PRs have no coding stage and no size (n/a)")),
        ("(repository → service)",
         ("a change's repository (the last segment of its `name`, else its `id`; case and `.git` ignored) is linked "
          "to a service: by `--repo-service REPO=SERVICE` first; else a deployment (deployed / upgraded / "
          "rolledback) whose `subject.content.artifactId` is an artifact (a purl compared without version, "
          "qualifiers or subpath) of an `artifact.packaged` / `published` event names that event's repository "
          "(`subject.content.change.source`, else the repository of a `pkg:github` / `pkg:gitlab` / `pkg:bitbucket` "
          "purl), and a deployment of a `pkg:github/ORG/REPO` purl names REPO itself. A repository deployed as "
          "several services keeps its name, with a warning. Links are made within one file: give a stream in one "
          "file, or `--repo-service`. Artifact events are skipped (not events) once read")),
        ("service deployed / upgraded / rolledback",
         "`deploy` (`change_type` `rollback` for rolledback); service the subject id"),
        ("pipelinerun finished",
         "of a pipeline matching `--deploy-workflow`: `deploy`, `failed` when the outcome is failure or error"),
        ("incident detected / resolved",
         ("`incident_start` / `incident_resolved`; `incident_id` the subject id; service the content's service (an "
          "incident whose environment is not production is skipped)")),
        ("(skipped)",
         ("custom types (`dev.cdeventsx.*`), pipeline runs with outcome `cancel` or with no outcome (not known to "
          "have succeeded); a broken event in a pretty-printed file is rejected alone, the others read")),
    ),
)
