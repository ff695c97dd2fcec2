"""Azure DevOps: pull requests with their reviewers' votes, pipeline runs and environment
deployment records, read from REST API JSON (api-version 7.1) saved page after page."""
from ....registry.source import Option, SourceSpec
from ..common import DEFAULT_DEPLOY_PATTERN
from .reader import azure_devops_reader

SOURCE = SourceSpec(
    name="azure-devops",
    ai_facts=("a completed PR's `createdBy.uniqueName` (else `displayName`), `sourceRefName` less `refs/heads/`, "
              "`labels[].name`, and `commits[].comment` when the PR carries its commits (`includeCommits`). An "
              "active PR has none yet (unknown)"),
    title="Azure DevOps pull requests and deployments (JSON)",
    describe=("pull request (`_apis/git/pullrequests`): `pr_created` at `creationDate`, `pr_merged` at `closedDate` "
              "when `completed` (abandoned ones skipped); `pr_id` `REPO#ID`, service the repository's name. Each "
              "non-zero reviewer vote (10 approved, 5 with suggestions, -5 waiting for the author, -10 rejected) is "
              "a `pr_reviewed`: at its vote thread's `publishedDate` when the PR's threads "
              "(`pullRequests/ID/threads`) are in the same file, else at `closedDate` (a vote in the list carries "
              "no time; votes on PRs not completed are then skipped); group reviewers skipped. Pipeline run "
              "(`_apis/pipelines/ID/runs`) of a pipeline matching `--deploy-workflow`: `deploy` at `finishedDate`, "
              "succeeded or failed (canceled and unfinished runs skipped). Environment deployment records "
              "(`environments/ID/environmentdeploymentrecords`): one `deploy` per run at its jobs' last `finishTime`, "
              "the last attempt of each job deciding (failed if one failed, success if all succeeded or succeeded "
              "with issues, else skipped), and the run's own pipeline run not counted again. Deployments: "
              "`deploy_id` `run-ID`, service the pipeline's name, environment production"),
    reader=azure_devops_reader,
    options=(Option("deploy_workflow", "deployments are the runs of pipelines whose name matches this glob "
                                       "(case-insensitive)", default=DEFAULT_DEPLOY_PATTERN, metavar="GLOB"),),
)
