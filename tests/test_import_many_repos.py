"""One import for an organisation's repositories (issue 22): ``import --from git DIR...``, ``--scan``
and ``--service-map``. Two repositories built here share PR numbers (#1, #2) and tag names (v1.0,
v1.1), with every date chosen by hand; each keeps its own numbers when they are stored together.

The imports run once for the module (they are slow: git runs for every repository); the one
subprocess is the import with an unreadable repository (its exit status and output as a user sees)."""
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from metrics import store
from metrics.cli import UsageError, run, run_import
from metrics.ingest.report import LoadReport
from test_source_git import _git


def commit(repo, message, author, committer, name="Ann"):
    _git(repo, "commit", "-q", "--allow-empty", "-m", message, when=(author, committer), name=name)


def pull_request(repo, number, branch, authored, merged):
    """A branch of one commit (authored ``authored``) merged as "Merge pull request #N" at ``merged``."""
    _git(repo, "checkout", "-q", "-b", branch)
    commit(repo, f"work on {branch}", authored, authored, name="Bob")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", branch, "-m", f"Merge pull request #{number} from dev/{branch}",
         when=(merged, merged))


def start(repo):
    """A new repository whose first commit ("initial") is dated 03-01 09:00."""
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", ".")
    commit(repo, "initial", "2024-03-01T09:00:00Z", "2024-03-01T09:00:00Z")


def annotated_tag(repo, name, when):
    _git(repo, "tag", "-a", name, "-m", f"release {name}", when=(when, when))


def make_shop(repo):
    """shop: PR #1 (its commit authored 03-01 10:00, merged 03-02 09:00), annotated v1.0 tagged
    03-02 15:00; squash "Add search (#2)" authored 03-03 08:00, committed 03-04 10:00, lightweight
    v1.1 on it (so deployed at 03-04 10:00)."""
    start(repo)
    pull_request(repo, 1, "search", "2024-03-01T10:00:00Z", "2024-03-02T09:00:00Z")
    annotated_tag(repo, "v1.0", "2024-03-02T15:00:00Z")
    commit(repo, "Add search (#2)", "2024-03-03T08:00:00Z", "2024-03-04T10:00:00Z")
    _git(repo, "tag", "v1.1")
    return repo


def make_cart(repo):
    """cart: the same PR numbers and tag names, other dates. PR #1 (authored 03-01 11:00, merged
    03-01 20:00), annotated v1.0 tagged 03-02 11:00; squash "Fix basket (#2)" authored 03-02 14:00,
    committed 03-03 12:00, lightweight v1.1 on it; squash "Coupons (#3)" authored 03-04 09:00,
    committed 03-04 10:00, annotated v1.2 tagged 03-05 09:00. A repository of its own nested in its
    tree (vendor/lib) is not another repository of the organisation."""
    start(repo)
    pull_request(repo, 1, "basket", "2024-03-01T11:00:00Z", "2024-03-01T20:00:00Z")
    annotated_tag(repo, "v1.0", "2024-03-02T11:00:00Z")
    commit(repo, "Fix basket (#2)", "2024-03-02T14:00:00Z", "2024-03-03T12:00:00Z")
    _git(repo, "tag", "v1.1")
    commit(repo, "Coupons (#3)", "2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z")
    annotated_tag(repo, "v1.2", "2024-03-05T09:00:00Z")
    (repo / "vendor" / "lib").mkdir(parents=True)
    _git(repo / "vendor" / "lib", "init", "-q", "-b", "main", ".")
    commit(repo / "vendor" / "lib", "Vendored (#1)", "2024-03-01T09:00:00Z", "2024-03-01T09:00:00Z")
    return repo


# By hand (lead time: a PR's first commit -> the tag that ships it):
#   shop: #1 03-01 10:00 -> v1.0 03-02 15:00 = 29 h; #2 03-03 08:00 -> v1.1 03-04 10:00 = 26 h
#         median (26 + 29) / 2 = 27.5 h; 2 deployments (v1.0, v1.1)
#   cart: #1 03-01 11:00 -> v1.0 03-02 11:00 = 24 h; #2 03-02 14:00 -> v1.1 03-03 12:00 = 22 h;
#         #3 03-04 09:00 -> v1.2 03-05 09:00 = 24 h; median of 22, 24, 24 = 24 h; 3 deployments
#   both: 22, 24, 24, 26, 29 h, median 24 h; 5 deployments
# Were PR #1 of cart taken for shop's (one id for both), cart would keep 22 and 24 h: median 23.
BY_HAND = {"shop": (27.5, 2), "cart": (24.0, 3), None: (24.0, 5)}
# deployments + a created and a merged event per PR, a merge's first commit, and each PR's three sizes at
# its merge (its lines added and removed and files changed): shop 2 + (2 + 1 + 3) + (2 + 3) = 13,
# cart 3 + (2 + 1 + 3) + (2 + 3) + (2 + 3) = 19
EVENTS = {"shop": 15, "cart": 22}       # each PR with its pr_ai_assisted verdict (shop 2 PRs, cart 3)


def summary(dataset, service=None) -> dict:
    """The dataset's DORA numbers (``--json``), of one service or of all."""
    out = io.StringIO()
    assert run(["--dataset", dataset, "--json", *(["--only-service", service] if service else [])], out=out) == 0
    return json.loads(out.getvalue())["dora"]


def lead_and_deploys(dataset, service=None) -> tuple:
    dora = summary(dataset, service)
    return dora["lead_time_hours_median"], dora["deployments"]


def import_(*argv) -> tuple[int, str, str]:
    """``import`` in this process: (exit status, stdout, stderr); a UsageError is status 2."""
    out, err = io.StringIO(), io.StringIO()
    try:
        status = run_import([str(a) for a in argv], out=out, err=err)
    except UsageError as e:
        status, err = 2, io.StringIO(err.getvalue() + f"error: {e}\n")
    return status, out.getvalue(), err.getvalue()


def stored(dataset) -> bool:
    return dataset in {d.name for d in store.list_datasets()}


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    """The organisation's folder (org/shop, org/cart), an unreadable repository beside it (broken:
    its .git names a folder that is not there), a file, and the imports every test reads, in their
    own data directory."""
    root = tmp_path_factory.mktemp("org")
    (root / "org").mkdir()
    shop, cart = make_shop(root / "org" / "shop"), make_cart(root / "org" / "cart")
    (root / "broken").mkdir()
    (root / "broken" / ".git").write_text("gitdir: /nowhere/at/all\n")
    (root / "notes.txt").write_text("not a repository\n")
    (root / "plain").mkdir()
    data = root / "datasets"
    runs = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("METRICS_DATA_DIR", str(data))
        runs["shop alone"] = import_("--from", "git", shop, "--name", "shop-alone")
        runs["cart alone"] = import_("--from", "git", cart, "--name", "cart-alone")
        runs["together"] = import_("--from", "git", shop, cart, "--name", "org")
        runs["again"] = import_("--from", "git", shop, cart, "--name", "org")
        runs["scan"] = import_("--from", "git", "--scan", root / "org", "--name", "scanned")
        runs["broken"] = run_cli("import", "--from", "git", shop, cart, root / "broken", "--name", "partial")
    return {"root": root, "shop": shop, "cart": cart, "data": data, "runs": runs}


@pytest.fixture
def in_org(org, monkeypatch):
    monkeypatch.setenv("METRICS_DATA_DIR", str(org["data"]))
    return org


def test_each_repository_keeps_its_numbers_in_one_dataset(in_org):
    runs = in_org["runs"]
    for name in ("shop alone", "cart alone", "together"):
        assert runs[name][0] == 0, runs[name]
    assert "2 of 2 repositories imported" in runs["together"][1]
    for service in ("shop", "cart"):
        alone = lead_and_deploys(f"{service}-alone")
        assert alone == BY_HAND[service]
        assert lead_and_deploys("org", service) == alone
    assert lead_and_deploys("org") == BY_HAND[None]
    frame = store.load("org")
    assert frame.groupby("service").size().to_dict() == EVENTS
    # the same PR numbers and tag names, one per repository
    assert sorted(set(frame["pr_id"]) - {""}) == ["cart#1", "cart#2", "cart#3", "shop#1", "shop#2"]
    deploys = frame[frame["kind"] == "deploy"]
    assert sorted(deploys["deploy_id"]) == ["cart@v1.0", "cart@v1.1", "cart@v1.2", "shop@v1.0", "shop@v1.1"]


def test_a_repeated_import_adds_nothing(in_org):
    status, out, _ = in_org["runs"]["again"]
    assert status == 0
    assert "Dataset org: 37 events (+0; 37 already stored, 0 in conflict" in out
    assert len(store.load("org")) == 37


def test_scan_finds_every_repository_under_a_folder(in_org):
    status, out, err = in_org["runs"]["scan"]
    assert status == 0, err
    # cart's own vendor/lib repository is part of cart's tree, not a third repository
    assert f"found 2 repositories under {in_org['root'] / 'org'}" in err
    assert "2 of 2 repositories imported" in out
    columns = ["ts", "kind", "service", "pr_id", "deploy_id"]
    scanned, together = (store.load(d)[columns].sort_values(columns).reset_index(drop=True) for d in ("scanned", "org"))
    assert scanned.equals(together)


def test_an_unreadable_repository_is_one_sentence_and_the_others_are_stored(in_org):
    p = in_org["runs"]["broken"]
    assert p.returncode == 1 and "Traceback" not in p.stderr
    broken = in_org["root"] / "broken"
    (line,) = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert line == f"error: {broken}: not a git repository: /nowhere/at/all"          # git's words, less "fatal: "
    assert "2 of 3 repositories imported" in p.stdout
    frame = store.load("partial")
    assert frame.groupby("service").size().to_dict() == EVENTS
    assert lead_and_deploys("partial", "cart") == BY_HAND["cart"]


def test_replace_with_an_unreadable_repository_stores_nothing(in_org):
    status, _, err = import_("--from", "git", in_org["shop"], in_org["root"] / "broken", "--name", "org", "--replace")
    assert status == 2
    assert "1 of 2 repositories imported and --replace would drop the events of the rest" in err
    assert len(store.load("org")) == 37
    status, _, err = import_("--from", "git", in_org["root"] / "broken", in_org["root"] / "plain", "--name", "none")
    assert status == 2 and not stored("none")
    assert err.splitlines()[-1] == "error: none of the 2 repositories could be read"


def test_service_map_names_the_repositories(in_org):
    status, out, err = import_("--from", "git", in_org["shop"], in_org["cart"], "--name", "mapped",
                               "--service-map", f"storefront={in_org['shop']}")
    assert status == 0, err
    assert store.load("mapped").groupby("service").size().to_dict() == {"storefront": 15, "cart": 22}
    assert lead_and_deploys("mapped", "storefront") == BY_HAND["shop"]


@pytest.mark.parametrize("argv, sentence", [
    (["{shop}", "--service-map", "web={root}/missing"], "--service-map web={root}/missing: {root}/missing is not a directory"),
    (["{shop}", "{root}/notes.txt"], "{root}/notes.txt: not a directory"),
    (["{shop}", "{root}/missing"], "{root}/missing: not a directory"),
    (["{shop}", "{cart}", "--service-map", "web={shop}", "--service-map", "web={cart}"],
     "--service-map gives the name 'web' to two repositories, {shop} and {cart}: one name each"),
    (["{shop}", "--service-map", "a={shop}", "--service-map", "b={shop}/."], "--service-map names {shop}/. twice: 'a' and 'b'"),
    (["{shop}", "--service-map", "web={cart}"], "--service-map names {cart}, which is not one of the repositories imported"),
    (["{shop}", "{cart}", "--service-map", "cart={shop}"], "{shop} and {cart} would both be service 'cart'"),
    (["{shop}", "{cart}", "--service", "web"], "{shop} and {cart} would both be service 'web' (--service gives"),
    (["--scan", "{shop}/.git/refs"], "{shop}/.git/refs: no git repository under it"),
    (["{shop}", "--service-map", "web"], "argument --service-map: expected NAME=DIR"),
    (["{shop}", "{cart}", "--service-path", "api=x"], "--service-path splits one repository into services, and {shop}"),
    (["{shop}", "--service-path", "api=x", "--service-map", "web={shop}"], "--service-map names whole repositories"),
])
def test_bad_repositories_and_maps_are_one_sentence_and_store_nothing(in_org, argv, sentence):
    where = {k: in_org[k] for k in ("shop", "cart", "root")}
    name = f"bad{abs(hash(sentence)) % 10**9}"                          # one dataset per case
    status, out, err = import_("--from", "git", *(a.format(**where) for a in argv), "--name", name)
    assert status == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"error: {sentence.format(**where)}"), line
    assert not stored(name)


NAMES = st.sampled_from(["shop", "cart", "web", "", " ", "a=b", "#1", "x@y"]) | st.text(max_size=6)
PLACES = ["{shop}", "{cart}", "{shop}/.git", "{root}/missing", "{root}/notes.txt", "{root}/org", ".", ""]
DIRS = st.sampled_from(PLACES).map(lambda place: (place, True)) | st.text(max_size=6).map(lambda text: (text, False))
MAPS = st.lists(st.tuples(NAMES, st.sampled_from(["=", "", "=="]), DIRS), max_size=3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(maps=MAPS)
def test_fuzzed_service_maps_never_crash_nor_store_on_error(in_org, maps):
    where = {k: in_org[k] for k in ("shop", "cart", "root")}
    argv = [w for name, sep, (folder, place) in maps
            for w in ("--service-map", name + sep + (folder.format(**where) if place else folder))]
    name = f"fuzz{abs(hash(tuple(argv))) % 10**9}"
    status, out, err = import_("--from", "git", in_org["shop"], in_org["cart"], "--name", name, "--replace", *argv)
    assert "Traceback" not in err
    if status == 2:
        assert not stored(name), err
        assert len(err.strip().splitlines()) == 1, err
    else:
        assert status == 0, err
        counts = store.load(name).groupby("service").size()
        assert sorted(counts) == sorted(EVENTS.values())


def test_the_load_report_names_five_repositories_then_counts_the_rest():
    report = LoadReport()
    report.sources = ["a", "b", "c", "d", "e"]
    assert report.lines()[0].startswith("Loaded a, b, c, d, e: ")
    report.sources = [f"repo{i}" for i in range(1, 43)]          # 4 named, 42 - 4 = 38 counted
    assert report.lines()[0].startswith("Loaded repo1, repo2, repo3, repo4 and 38 more: 0 rows read")


FOLDERS = ["{shop}", "{cart}", "{shop}/.git", "{root}/broken", "{root}/plain", "{root}/missing", "{root}/notes.txt",
           "{root}/org", "{root}/org/cart/vendor"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(folders=st.lists(st.sampled_from(FOLDERS), min_size=1, max_size=4), scan=st.booleans())
def test_fuzzed_repository_lists_never_crash_and_say_what_was_imported(in_org, folders, scan):
    where = {k: in_org[k] for k in ("shop", "cart", "root")}
    name = f"many{abs(hash((tuple(folders), scan))) % 10**9}"
    argv = ["--from", "git", *(["--scan"] if scan else []), *(f.format(**where) for f in folders)]
    status, out, err = import_(*argv, "--name", name, "--replace")
    assert "Traceback" not in err
    if status == 2:
        assert not stored(name), err
    else:
        counts = store.load(name).groupby("service").size().to_dict()
        assert set(counts.items()) <= set(EVENTS.items()) | {("lib", 6)}     # whole repositories only (lib: its squash's 2, 3 sizes and verdict)
        assert status == (1 if "error: " in err else 0), err
        if status == 1:
            assert f"{len(counts)} of " in out.splitlines()[-1], out
