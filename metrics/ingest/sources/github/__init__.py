"""GitHub REST API objects -> events (files, the live sync and webhooks)."""
from ....registry.source import Option, SourceSpec
from ..common import DEPLOY_WORKFLOW_OPTION, PRODUCTION_OPTION
from . import sync, webhook
from .reader import github_reader

SOURCE = SourceSpec(
    name="github", title="GitHub API export (JSON)", reader=github_reader, order=30,
    options=(DEPLOY_WORKFLOW_OPTION, PRODUCTION_OPTION,
             Option("releases", "published releases are deployments (for teams that release by tag)", kind="flag",
                    default=False, flag="--releases-as-deployments"),
             Option("incident_label", "issues with this label are incidents", metavar="LABEL")),
    sync=sync.SYNC, webhook=webhook.WEBHOOK,
    ai_facts=("a merged PR's `labels[].name`, `user.login`, `head.ref`, and its commits' messages: the sync's of "
              "`GET /repos/O/R/pulls/N/commits` (every page), an export's when its PR objects carry them "
              "(`commit_messages`, `first_commit`; `gh api .../pulls` carries none, so no trailers); the webhook's "
              "`pull_request` delivery closed and merged: labels, login and branch (the payload names no commits). "
              + "An open PR has none yet (unknown): its labels may still change, and the store keeps a PR's first "
              "verdict. The sync keeps a PR opened by an assistant's bot account (`Copilot`): its work, not a bot's "
              "chore; a login the configuration's `bots` names is left out all the same. A review by an assistant's "
              "bot account (Gemini Code Assist's, `claude[bot]`) is left out as any bot's: an automatic review is "
              "no one's pickup"),
    reads=("`gh api --paginate` output: `repos/O/R/pulls?state=all`, `.../pulls/N/reviews`, "
           "`.../deployments/ID/statuses`, `.../actions/runs` (files may mix them)"),
    describe=("PRs (created, merged), submitted reviews, a deployment at its first final status (success, or failed "
              "for failure/error), completed workflow runs whose name or file matches `--deploy-workflow` (default "
              "`*deploy*`); deployments without statuses (successful at creation, said in the report); with "
              "`--releases-as-deployments` published releases; with `--incident-label LABEL` labelled issues as "
              "incidents"),
    records=(
        ("pull request",
         ("`pr_created` at `created_at`; `pr_merged` at `merged_at` when not null; a merged PR whose object "
          "carries `additions`, `deletions`, `changed_files` (the single PR, `gh api repos/O/R/pulls/N`, and "
          "the webhooks' `pull_request` carry them; the list `pulls?state=all` does not) also `pr_lines_added`, "
          "`pr_lines_removed`, `pr_files_changed` at `merged_at`; a PR object with a `first_commit` (a commit "
          "of `pulls/N/commits`, as the sync attaches the earliest-authored one) `pr_first_commit` at its "
          "`commit.author.date`")),
        ("review",
         "`pr_reviewed` at `submitted_at` (pending reviews skipped)"),
        ("deployment status",
         ("`deploy` at a deployment's first final status: `success`, or `failed` for `failure` / `error`; later "
          "statuses (such as `inactive`) and `queued` / `in_progress` are skipped")),
        ("deployment (the list alone)",
         ("a deployment whose statuses are not in the export: a successful `deploy` at `created_at` (the list "
          "carries no outcome; the load report says so); with its statuses, they decide")),
        ("release (`--releases-as-deployments`)",
         "`deploy` at `published_at`, `deploy_id` the tag; drafts skipped; a prerelease is not production"),
        ("issue labelled `--incident-label`",
         ("`incident_start` at `created_at`, `incident_resolved` at `closed_at`; `incident_id` `issue-N`; issues "
          "that are PRs skipped")),
        ("Actions workflow run",
         ("a completed run of a workflow whose name or file matches `--deploy-workflow`: `deploy` at `updated_at`, "
          "`success` or `failed` (`failure`, `timed_out`); cancelled or skipped runs are skipped")),
    ),
)
