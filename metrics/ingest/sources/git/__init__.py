"""A local git repository: tags are deployments, merge and squash commits of PRs are changes."""
from ....registry.source import Option, SourceSpec
from .reader import git_import_reader

SOURCE = SourceSpec(
    name="git", title="Git repository (a local folder)", reader=git_import_reader, order=20,
    options=(Option("tag_pattern", "the tags that are deployments, a glob; in a monorepo SERVICE=GLOB, repeatable: a tag "
                    "deploys only its service and tags matching none are ignored", kind="repeat",
                    metavar="GLOB|SERVICE=GLOB", default_help="every tag"),
             Option("service_path", "in a monorepo, a PR belongs to every service whose paths it changes (repeatable)",
                    kind="pairs", metavar="SERVICE=GLOB", excludes_service="one per path"),
             Option("scan", "the PATHs are folders: every git repository under them (working trees and bare "
                    "repositories, not looked inside; symbolic links not followed) is imported, each its own "
                    "service, and how many were found is said",
                    kind="flag"),
             Option("service_map", "the service of the repository DIR, instead of its directory's name (repeatable)",
                    kind="pairs", metavar="NAME=DIR", excludes_service="names each repository's")),
    upload=False,
    ai_facts=("every merged PR's commit messages: a merge's own commits' (`git rev-list M^2 ^M^1`) and the merge "
              "commit's, a squash commit's (which carries the squashed commits' `Co-authored-by:` lines); its branch "
              "from the merge message \"Merge pull request #N from OWNER/BRANCH\" (a squash commit names none); "
              "its first commit's author name as its author (a bot account's commits carry its login). Git has no "
              "labels. In a monorepo each service's PR has the verdict"),
    reads="a local repository (a directory)",
    describe=("tags matching `--tag-pattern` (a glob, default all) are deployments: an annotated tag at its tagger "
              "date, a lightweight one at its commit's committer date. On HEAD's first-parent history, merge commits "
              "\"Merge pull request #N ...\", merges titled \"... (#N)\" and squash commits ending \"(#N)\" are "
              "merged PRs, merged at the committer date, created at the earliest author date of the PR's own commits "
              "(`M^2 ^M^1`; a squash commit: its author date), shipped by the first tag that contains them. Bare and "
              "mirror repositories work; a shallow clone is read with a warning. A monorepo: `--service-path "
              "api=services/api/**` (repeatable) puts a PR in every service whose paths it changes (`api#N`), "
              "`--tag-pattern api=api-v*` (repeatable) makes a tag deploy only its service (other tags are ignored, "
              "with a warning), so deployments and lead time are per service"),
    records=(
        ("a tag matching `--tag-pattern`",
         ("`deploy` (`deploy_id` the tag) at the tagger date (annotated tag) or the commit's committer date "
          "(lightweight tag)")),
        ("a first-parent commit of HEAD \"Merge pull request #N ...\"",
         ("`pr_created` at the earliest author date among the commits it merges (those reachable from its second "
          "parent and from no earlier merge), `pr_merged` at its committer date; `pr_id` `#N`")),
        ("a first-parent commit of HEAD whose subject ends \"(#N)\"",
         ("a squash commit: `pr_created` at its author date, `pr_merged` at its committer date; a two-parent merge "
          "titled so (GitHub's \"pull request title\" merge message): as a \"Merge pull request\" merge")),
        ("(first commit and size)",
         ("a merge's PR: `pr_first_commit` at the earliest author date of its own commits (so its coding stage, "
          "first commit to creation, is 0: git has no PR opening); a squash commit's PR has none (the squashed "
          "commit is its only commit: its coding stage is n/a). Every merged PR: `pr_lines_added`, "
          "`pr_lines_removed`, `pr_files_changed` at its merge, from one `git log --numstat "
          "--diff-merges=first-parent` (a merge's change against its first parent, a squash commit's own); a "
          "binary file is a file changed with 0 lines, a rename one file. In a monorepo each service's PR "
          "carries the whole change's size")),
        ("(own commits)",
         ("every merge on HEAD's first-parent line, a PR's or not (\"Merge branch '7.x'\"), claims the commits it "
          "brings in, oldest first, so a PR's own commits are exactly `git rev-list M^2 ^M^1`")),
        ("(clocks, shallow clones, bare repositories)",
         ("an author date after the merge is clamped to the merge and said in the load report; a shallow clone is "
          "read with a warning naming its depth; a bare or mirror repository is read like any other, its service the "
          "directory's name less `.git`")),
        ("(what \"created\" means)",
         ("git has no PR opening time: a PR's `pr_created` is its first commit's author time, so its events carry "
          "`environment` `git-history` (`metrics/schema.py: GIT_HISTORY`). When any PR of the data has it, the "
          "dashboard says so where the time is used: the lead time card (\"from first commit (git history)\"), the "
          "PRs card (\"dated by first commit\"), the PR → merge time card (\"first commit to merge\", with a warning "
          "line), the lead-time histogram's axis and the merge-time chart's title (`Analysis.pr_times_from_git`). A "
          "dataset imported before this marker existed is not recognised: import it again")),
        ("(link)",
         ("a merged PR's `deploy_id` is the earliest-deployed matching tag whose history contains the merge commit, "
          "so lead time follows the history, not the clock; a PR no tag contains is counted as not deployed")),
        ("(monorepo: `--service-path SERVICE=GLOB`, repeatable)",
         ("a PR belongs to every service whose paths its change touches: a merge's change against its first parent "
          "(everything the PR brought to the mainline), a squash commit's own change. A glob's `*` crosses `/` "
          "(`services/api/**` is everything below); a path without `*`, `?` or `[` is that file or directory and "
          "everything below. Paths are read by one `git log --name-only --diff-merges=first-parent` over the history "
          "(git 2.31 or later). The PR is `#N` in each of its services, `SERVICE#N` once qualified (so a PR touching "
          "two services is two PRs, one per service, with the same times); a PR touching no service's path is skipped and counted")),
        ("(monorepo: `--tag-pattern SERVICE=GLOB`, repeatable)",
         ("a tag deploys only the services whose patterns it matches; a tag matching none is ignored, counted, and "
          "said in a warning. Without service patterns (a plain `--tag-pattern GLOB`, or none) every matching tag "
          "deploys every service. A tag that deploys several services is one deployment in each (`SERVICE@TAG` once "
          "qualified: a deployment id names one deployment). A PR's deployment is the earliest-deployed tag *of its service* that contains the "
          "merge, so lead time and deployments are per service (`--only-service api`). A service-pattern's service "
          "must be one `--service-path` names; a mix of a plain glob and service patterns, an empty glob or a value "
          "without `=` is one sentence, exit 2")),
        ("(several repositories: `DIR...`, `--scan`, `--service-map NAME=DIR`)",
         ("each repository is its own service, named after its directory or by `--service-map`; its PR and tag "
          "ids are qualified with it (`shop#12`, `shop@v1.0`), so repositories sharing PR numbers and tag names "
          "keep their own. `--scan DIR` imports every working tree and bare repository under DIR, not looking "
          "inside one it found and following no symbolic link, and says how many it found. A repository that "
          "cannot be read is one sentence naming it, the others are stored: exit 1, \"2 of 3 repositories "
          "imported\". A path that is not a directory, a map whose DIR is not a directory or not imported, a "
          "name given to two repositories, or two repositories of one name: one sentence, exit 2, nothing read")),
    ),
)
