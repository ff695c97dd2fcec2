"""The cycle-time stages (issue 27): each stage's median and 75th percentile over the window's PRs,
declared once each (summary keys ``<stage>_hours_median`` and ``<stage>_hours_p75`` of the DORA
section, after the DORA keys); computed by ``metrics.compute.stages``, read through the shared
``Context`` (``c.stages``)."""
from __future__ import annotations

from ..compute.stages import STAGES, median_key, p75_key
from ..registry.metric import declarer

METRICS: list = []
declare = declarer(METRICS, "dora")

# what each stage runs between, and the event kinds it needs besides ``pr_created``
SPANS = {"coding": ("the PR's first commit (`pr_first_commit`)", "its opening (`pr_created`)", "pr_first_commit"),
         "pickup": ("the PR's opening (`pr_created`)", "its first review (`pr_reviewed`)", "pr_reviewed"),
         "review": ("the PR's first review (`pr_reviewed`)", "its merge (`pr_merged`)", "pr_reviewed"),
         "deploy": ("the PR's merge (`pr_merged`)", "the deployment that shipped it (as lead time finds it)", "deploy")}
# the PRs of the window without the stage, and why (the definition says it)
WITHOUT = {"coding": "PRs without a first commit are left out; a PR opened before its first commit (a draft opened "
                     "first) counts 0 h, its coding falling in pickup and review; n/a for PRs read from git history, "
                     "whose opening is their first commit",
           "pickup": "unreviewed PRs are left out, and those first reviewed after their merge (merged unreviewed)",
           "review": "unreviewed or unmerged PRs are left out, and those first reviewed after their merge",
           "deploy": "PRs no deployment shipped by the window's end are left out"}
# why a stage is n/a when the data holds what it needs but no PR of the window has it
NONE_IN_WINDOW = {"coding": "no PR of this window has a first commit", "pickup": "no PR of this window was reviewed",
                  "review": "no PR of this window was reviewed and merged",
                  "deploy": "no PR of this window was merged and deployed"}
GIT_CODING = "git history dates a PR by its first commit: no coding stage"

for _stage in STAGES:
    _start, _end, _kind = SPANS[_stage]
    declare(median_key(_stage), reads="stages", label=f"{_stage.capitalize()} stage (median)", unit="h",
            lower_is_better=True, needs=("pr_created", _kind),
            definition=f"Cycle-time stage {_stage}: hours from {_start} to {_end} per PR created in the window; the "
                       f"median. {WITHOUT[_stage][:1].upper() + WITHOUT[_stage][1:]}.")
    declare(p75_key(_stage), reads="stages", label=f"{_stage.capitalize()} stage (p75)", unit="h",
            lower_is_better=True, needs=("pr_created", _kind),
            definition=f"The 75th percentile (linear interpolation) of the {_stage} stage's hours of the window's PRs.")

