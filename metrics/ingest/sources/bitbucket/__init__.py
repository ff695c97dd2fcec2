"""Bitbucket Cloud: pull requests with their activity (approvals as reviews) and Bitbucket Pipelines
deployments, read from REST API JSON (``/2.0``) saved page after page."""
from .... import schema as s
from ....registry.source import Option, SourceSpec
from .reader import bitbucket_reader

SOURCE = SourceSpec(
    name="bitbucket",
    ai_facts=("a merged PR's `author.nickname` (else `display_name`) and `source.branch.name`: a Bitbucket Cloud pull "
              "request has no labels, and its list no commit messages (no trailers). An open PR has none yet (unknown)"),
    title="Bitbucket Cloud pull requests and deployments (JSON)",
    describe=("pull request (`/2.0/repositories/W/R/pullrequests`): `pr_created` at `created_on`; when `MERGED`, "
              "`pr_merged` at the date of its activity's `update` to `MERGED` when the PR's activity "
              "(`pullrequests/ID/activity`) is in the same file, else at `updated_on` (a comment after the merge "
              "moves it; the load report says how many); declined and superseded PRs skipped; `pr_id` `SLUG#ID`, "
              "service the repository's slug. Activity: an `approval` or `changes_requested` is a `pr_reviewed` at "
              "its `date`; comments and other updates skipped. Deployment (Bitbucket Pipelines, `deployments/`): "
              "`COMPLETED` `SUCCESSFUL` or `FAILED` is a `deploy` at `state.completion_date` (stopped and unfinished "
              "ones skipped), `deploy_id` its uuid, service the repository in its release's URL; production when "
              "the environment's name or type is `--production` (environments named only by uuid take their names "
              "from the environments list, `environments/`, in the same file)"),
    reader=bitbucket_reader,
    options=(Option("production", "the deployment environment (name or type) that is production, ignoring case",
                    default=s.PRODUCTION, metavar="NAME"),),
)
