"""The event schema of METRICS.md section 1: column names, built-in kinds and their value rules."""

COLUMNS = (
    "ts", "kind", "service", "deploy_id", "incident_id", "pr_id",
    "metric_value", "status", "change_type", "environment", "author",
)
REQUIRED_COLUMNS = ("ts", "kind", "service")
TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in ("ts", "metric_value"))    # the rest: a time and a number

DEPLOY = "deploy"
INCIDENT_START = "incident_start"
INCIDENT_RESOLVED = "incident_resolved"
PR_CREATED = "pr_created"
PR_REVIEWED = "pr_reviewed"
PR_MERGED = "pr_merged"
# what a PR's cycle-time stages and size need (issue 27), each optional: the PR's first commit (its
# author time; the coding stage runs from it to ``pr_created``) and, for a merged PR, the lines it
# added and removed and the files it changed (``metric_value``, timed at the merge)
PR_FIRST_COMMIT = "pr_first_commit"
PR_LINES_ADDED = "pr_lines_added"
PR_LINES_REMOVED = "pr_lines_removed"
PR_FILES_CHANGED = "pr_files_changed"
SURVEY = "satisfaction_survey"
PLATFORM_HOURS = "platform_investment_hour"
INCIDENT_RESPONSE = "incident_response"
TOIL = "toil"
ONBOARDING = "onboarding_complete"
ON_CALL = "on_call_hours"
INFRA_COST = "infra_cost"

INCIDENT_KINDS = (INCIDENT_START, INCIDENT_RESOLVED)
PR_SIZE_KINDS = (PR_LINES_ADDED, PR_LINES_REMOVED, PR_FILES_CHANGED)
PR_KINDS = (PR_CREATED, PR_REVIEWED, PR_MERGED, PR_FIRST_COMMIT) + PR_SIZE_KINDS
# the kinds of which one event per id is kept (a second is refused), each with the column of its id
PAIRING_IDS = {INCIDENT_START: "incident_id", INCIDENT_RESOLVED: "incident_id", PR_CREATED: "pr_id", PR_MERGED: "pr_id",
               PR_FIRST_COMMIT: "pr_id", **{k: "pr_id" for k in PR_SIZE_KINDS}}
# team-level kinds: a number (``metric_value``) about the team, kept by a service filter
VALUE_KINDS = (SURVEY, PLATFORM_HOURS, INCIDENT_RESPONSE, TOIL, ONBOARDING, ON_CALL, INFRA_COST)
BUILTIN_KINDS = (DEPLOY,) + INCIDENT_KINDS + PR_KINDS + VALUE_KINDS

# kind -> (lowest allowed, highest allowed, lowest is exclusive, message when outside)
VALUE_RULES = {
    SURVEY: (1.0, 5.0, False, "satisfaction score must be between 1 and 5"),
    PLATFORM_HOURS: (0.0, None, False, "platform hours must be >= 0"),
    INCIDENT_RESPONSE: (0.0, None, False, "incident response minutes must be >= 0 (negative duration)"),
    TOIL: (0.0, None, False, "toil minutes must be >= 0 (negative duration)"),
    ONBOARDING: (0.0, None, True, "onboarding weeks must be > 0"),
    ON_CALL: (0.0, None, False, "on-call hours must be >= 0 (negative duration)"),
    INFRA_COST: (0.0, None, False, "infrastructure cost must be >= 0 (currency, USD)"),
    PR_LINES_ADDED: (0.0, None, False, "lines added must be >= 0"),
    PR_LINES_REMOVED: (0.0, None, False, "lines removed must be >= 0"),
    PR_FILES_CHANGED: (0.0, None, False, "files changed must be >= 0"),
}

STATUSES = ("success", "failed")
CHANGE_TYPES = ("feature", "hotfix", "rollback")
DEFAULT_STATUS = "success"
DEFAULT_CHANGE_TYPE = "feature"
PRODUCTION = "production"
# the environment the git importer gives its PR events: their "created" is the first commit's author
# time (git has no PR opening), which the dashboard says on the cards that use it
GIT_HISTORY = "git-history"

# ids are unique per service (= per repository): a PR's ``SERVICE#N`` (GitLab's ``SERVICE!IID``), a
# deployment's ``SERVICE@ID`` (``metrics.ingest.ids``)
PR_MARKS = ("#", "!")
DEPLOY_MARK = "@"

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR
