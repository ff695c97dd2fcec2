"""GitLab REST API objects -> events (files, the live sync and webhooks)."""
from ....registry.source import SourceSpec
from ..common import PRODUCTION_OPTION
from . import sync, webhook
from .reader import gitlab_reader

SOURCE = SourceSpec(
    name="gitlab", title="GitLab API export (JSON)", reader=gitlab_reader, order=40,
    options=(PRODUCTION_OPTION,),
    ai_facts=("a merged MR's `labels` (names; or label objects' `title`), `author.username`, `source_branch`, and "
              "its commits' messages: the sync's of `/merge_requests/:iid/commits` (every page), an export's when "
              "its MR objects carry them (`commit_messages`, `first_commit`); the merge request hook's `merge` "
              "action: its `labels[].title`, `object_attributes.source_branch` and `last_commit.message` (the "
              "hook's user merged it, so no author). An open MR has none yet (unknown)"),
    sync=sync.SYNC, webhook=webhook.WEBHOOK,
    reads=("GitLab API JSON: `projects/:id/merge_requests?state=all` (or `.../merge_requests/:iid/changes`), "
           "`.../merge_requests/:iid/notes`, "
           "`projects/:id/deployments`"),
    describe=("MRs (created, merged; `pr_id` `!iid`), reviews (notes by people, approval notes), deployments that "
              "finished (success or failed) at `finished_at`"),
    records=(
        ("merge request",
         ("`pr_created` at `created_at`, `pr_merged` at `merged_at`; `pr_id` `!iid`; a merged MR with its "
          "`changes` (`merge_requests/:iid/changes`, or the items of `.../diffs` the sync attaches) also "
          "`pr_lines_added` / `pr_lines_removed` (the lines of each file's `diff` starting `+` / `-`) and "
          "`pr_files_changed` (the files listed; a binary or too-large file, whose `diff` is empty, is a file with 0 "
          "lines) at `merged_at`; an MR with a `first_commit` (a commit of `.../commits`, as the sync attaches the "
          "earliest-authored one) `pr_first_commit` at its `authored_date`")),
        ("merge request note",
         ("`pr_reviewed` at `created_at` for a note written by a person, or the system note \"approved this merge "
          "request\"; other system notes are skipped; an MR's approval list is skipped (it carries no time)")),
        ("deployment",
         ("`success` or `failed`: `deploy` at `finished_at` (else `updated_at`); others skipped; the service is the "
          "project's (the synced project, else its pipeline's or job's URL); a deployment created through the API "
          "(`deployable: null`) in a file takes the one project the file's other records name (merge requests' URLs, "
          "other deployments' jobs); when they name none or several, a warning says to give `--service`, without "
          "which it is rejected")),
    ),
)
