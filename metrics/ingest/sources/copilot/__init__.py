"""GitHub Copilot's usage metrics reports -> the assistant's daily usage events (team-level)."""
from ....registry.source import SourceSpec
from . import sync
from .reader import copilot_reader

SOURCE = SourceSpec(
    name="copilot", title="GitHub Copilot usage metrics report (NDJSON)", reader=copilot_reader, order=75, sync=sync.SYNC,
    reads="GitHub Copilot usage metrics report files (the NDJSON the organization or enterprise report's "
          "`download_links` name)",
    describe="each day's totals as team-level `ai_*` events (active users, suggestions, acceptances, Copilot's PRs)",
    records=(
        ("a day's totals (a report record's `day_totals` item, or a record with `day`)",
         ("one event per field at the day's start (UTC), service `team` (or `--service`): `daily_active_users` -> "
          "`ai_active_users`, `weekly_active_users` -> `ai_weekly_active_users`, `code_generation_activity_count` -> "
          "`ai_suggestions`, `code_acceptance_activity_count` -> `ai_acceptances`, `pull_requests.total_created_by_copilot` "
          "-> `ai_prs_created`, `pull_requests.total_merged_created_by_copilot` -> `ai_prs_merged`, "
          "`pull_requests.total_reviewed_by_copilot` -> `ai_prs_reviewed`; a field the day lacks makes no event; a day "
          "given twice keeps the last record's numbers")),
        ("(skipped, refused)",
         ("per-user records (`user_login`) are skipped and counted; the API's answer itself (`download_links`) is "
          "refused in one sentence: import the files it links")),
    ),
)
