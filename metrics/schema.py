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
# whether a PR was AI-assisted (issue 29): ``metric_value`` 1 (assisted) or 0 (checked, no rule
# matched), ``status`` the rule that decided (``AI_RULES``), ``author`` the assistant named when 1;
# no event: unknown (``metrics.ai_rules`` decides it from the PR's facts)
PR_AI_ASSISTED = "pr_ai_assisted"
AI_RULES = ("trailer", "label", "bot-author", "branch", "none")
AI_NO_RULE = "none"
SURVEY = "satisfaction_survey"
PLATFORM_HOURS = "platform_investment_hour"
INCIDENT_RESPONSE = "incident_response"
TOIL = "toil"
ONBOARDING = "onboarding_complete"
ON_CALL = "on_call_hours"
INFRA_COST = "infra_cost"
# a coding assistant's own daily report (GitHub Copilot's usage metrics: ``import --from copilot``)
AI_ACTIVE_USERS = "ai_active_users"
AI_WEEKLY_ACTIVE_USERS = "ai_weekly_active_users"
AI_SUGGESTIONS = "ai_suggestions"
AI_ACCEPTANCES = "ai_acceptances"
AI_PRS_CREATED = "ai_prs_created"
AI_PRS_MERGED = "ai_prs_merged"
AI_PRS_REVIEWED = "ai_prs_reviewed"
AI_USAGE_KINDS = (AI_ACTIVE_USERS, AI_WEEKLY_ACTIVE_USERS, AI_SUGGESTIONS, AI_ACCEPTANCES,
                  AI_PRS_CREATED, AI_PRS_MERGED, AI_PRS_REVIEWED)
# DORA's AI Capabilities Model (2025, dora.dev/ai): a survey answer (1-5) per capability, one kind
# each: (kind, the capability's name as DORA publishes it, the short name ``--capability-column`` takes)
AI_CAPABILITIES = (
    ("ai_capability_stance", "Clear and communicated AI stance", "stance"),
    ("ai_capability_data_ecosystems", "Healthy data ecosystems", "data-ecosystems"),
    ("ai_capability_internal_data", "AI-accessible internal data", "internal-data"),
    ("ai_capability_version_control", "Strong version control practices", "version-control"),
    ("ai_capability_small_batches", "Working in small batches", "small-batches"),
    ("ai_capability_user_centric", "User-centric focus", "user-centric"),
    ("ai_capability_platform", "Quality internal platforms", "platform"),
)
AI_CAPABILITY_KINDS = tuple(kind for kind, _, _ in AI_CAPABILITIES)

INCIDENT_KINDS = (INCIDENT_START, INCIDENT_RESOLVED)
PR_SIZE_KINDS = (PR_LINES_ADDED, PR_LINES_REMOVED, PR_FILES_CHANGED)
PR_KINDS = (PR_CREATED, PR_REVIEWED, PR_MERGED, PR_FIRST_COMMIT) + PR_SIZE_KINDS + (PR_AI_ASSISTED,)
# the kinds of which one event per id is kept (a second is refused), each with the column of its id
PAIRING_IDS = {INCIDENT_START: "incident_id", INCIDENT_RESOLVED: "incident_id", PR_CREATED: "pr_id", PR_MERGED: "pr_id",
               PR_FIRST_COMMIT: "pr_id", **{k: "pr_id" for k in PR_SIZE_KINDS}, PR_AI_ASSISTED: "pr_id"}
# team-level kinds: a number (``metric_value``) about the team, kept by a service filter
VALUE_KINDS = (SURVEY, PLATFORM_HOURS, INCIDENT_RESPONSE, TOIL, ONBOARDING, ON_CALL, INFRA_COST) + AI_USAGE_KINDS + AI_CAPABILITY_KINDS
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
    PR_AI_ASSISTED: (0.0, 1.0, False, "pr_ai_assisted must be 0 or 1"),
    **{k: (1.0, 5.0, False, f"{name} answer must be between 1 and 5") for k, name, _ in AI_CAPABILITIES},
    **{k: (0.0, None, False, f"{k} must be >= 0 (a count)") for k in AI_USAGE_KINDS},
}
# kinds whose metric_value is one of a few values only (checked after VALUE_RULES' range)
VALUE_CHOICES = {PR_AI_ASSISTED: ((0.0, 1.0), "pr_ai_assisted must be 0 or 1")}
# kinds whose status names one of a few things, with the message when it does not
STATUS_CHOICES = {PR_AI_ASSISTED: (AI_RULES, "unknown pr_ai_assisted rule (trailer, label, bot-author, branch or none)")}

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
