"""Uploads: the importers behind the dashboard's drag and drop, its limits and its messages."""
import base64
import errno
import pathlib
import sqlite3
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import FIXTURES
from dashboard.app import create_app
from dashboard.upload import UploadError, dataset_name, import_upload, safe_filename
from metrics import store


def data_url(raw: bytes, kind="text/csv") -> str:
    return f"data:{kind};base64," + base64.b64encode(raw).decode()


def test_an_upload_is_stored_with_its_report():
    done = import_upload(data_url((FIXTURES / "hand.csv").read_bytes()), "hand.csv", "", "events")
    assert done.dataset == "hand" and done.total == 49 and done.added == 49
    assert done.lines()[-1] == "Dataset hand: 49 events (+49; 0 already stored, 0 in conflict with stored events)"
    again = import_upload(data_url((FIXTURES / "hand.csv").read_bytes()), "hand.csv", "hand", "events")
    assert (again.total, again.added, again.merge.duplicates) == (49, 0, 49)     # no duplicates on re-upload
    pd_done = import_upload(data_url((FIXTURES / "pagerduty_incidents.json").read_bytes(), "application/json"),
                            "incidents.json", "pd", "pagerduty")
    assert pd_done.total == 6 and store.version("pd")[1] == 6
    lined_up = import_upload(data_url((FIXTURES / "pagerduty_incidents.json").read_bytes(), "application/json"),
                             "incidents.json", "shop", "pagerduty", service=" shop ")
    assert set(store.load("shop")["service"]) == {"shop"} and lined_up.total == 6


def test_names_come_from_the_file_when_not_typed():
    assert dataset_name("", "My Team events (2024).csv") == "My-Team-events-2024"
    assert dataset_name(None, "...") == "upload"
    assert dataset_name("  ops ", "x.csv") == "ops"
    assert safe_filename("../../etc/pass wd;rm -rf.csv") == "pass_wd_rm_-rf.csv"


@pytest.mark.parametrize("contents, name, source, message", [
    ("not a data url", "x", "events", "did not arrive as a file"),
    ("data:text/csv;base64,@@@", "x", "events", "arrived damaged"),
    (data_url(b"ts,kind,service\n"), "bad name!", "events", "Dataset names are"),
    (data_url(b"ts,kind,service\n"), "x", "git", "cannot be uploaded"),
    (data_url(b"x" * 3000), "x", "events", "The file is 3 KB, over the upload limit of 2 KB"),
    (data_url(b"ts,kind,service\nyesterday,deploy,api\n"), "x", "events", "No events were accepted"),
    (data_url(b'{"incidents": 3}'), "x", "pagerduty", "expected PagerDuty pages"),
])
def test_bad_uploads_say_why(contents, name, source, message):
    with pytest.raises(UploadError, match=message):
        import_upload(contents, "f.csv", name, source, limit=2048)
    assert store.list_datasets() == []


def test_the_server_refuses_a_request_over_the_limit_with_a_sentence():
    client = create_app(upload_limit=1024).server.test_client()
    response = client.post("/_dash-update-component", data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert "uploads are limited to 1 KB" in response.get_data(as_text=True)


# -- the upload callback, as the page's renderer (or someone crafting its request) sends it ------

HAND = (FIXTURES / "hand.csv").read_bytes()


@pytest.fixture
def app():
    return create_app()


def upload_request(app, payload, name=None, source="events", service=None, search="?seed=7"):
    """The upload callback's request body, every input and state given."""
    dependency = next(d for d in app.callback_map if "upload-report.children" in d)
    spec = app.callback_map[dependency]
    values = {"upload-payload": payload, "upload-name": name, "upload-source": source, "upload-service": service,
              "url": search}
    entry = lambda item: {"id": item["id"], "property": item["property"], "value": values[item["id"]]}  # noqa: E731
    outputs = [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]} for o in dependency.strip(".").split("...")]
    return {"output": dependency, "outputs": outputs, "inputs": [entry(i) for i in spec["inputs"]],
            "state": [entry(s) for s in spec["state"]], "changedPropIds": ["upload-payload.data"]}


def nothing_stored():
    return store.list_datasets() == [] and store.audit_log() == []


def test_a_well_typed_upload_request_is_stored(app):
    reply = app.server.test_client().post("/_dash-update-component", json=upload_request(
        app, {"contents": data_url(HAND), "filename": "hand.csv"}, name="hand", service=None))
    assert reply.status_code == 200 and "Stored in dataset hand" in reply.get_data(as_text=True)
    assert store.version("hand")[1] == 49


@pytest.mark.parametrize("changed, named", [
    ({"name": 5}, "The dataset name must be text"),
    ({"name": ["hand"]}, "The dataset name must be text"),
    ({"service": ["api"]}, "The service must be text"),
    ({"service": 3.5}, "The service must be text"),
    ({"source": {"events": 1}}, "The kind of file must be text"),
    ({"source": None}, "The kind of file must be text"),
    ({"payload": {"contents": 7, "filename": "hand.csv"}}, "The file must be text"),
    ({"payload": {"contents": data_url(HAND), "filename": {"a": 1}}}, "The file name must be text"),
    ({"payload": ["x"]}, "The upload must arrive as the page sends it"),
    ({"search": True}, "The page's address must be text"),
    ({"service": "api\ud800"}, "The service holds a character that is not text"),
    ({"payload": {"contents": data_url(HAND), "filename": "\udfff.csv"}}, "The file name holds a character"),
])
def test_a_mistyped_upload_field_is_400_naming_it(app, capsys, changed, named):
    fields = {"payload": {"contents": data_url(HAND), "filename": "hand.csv"}, "name": "hand", "source": "events",
              "service": None, "search": "?seed=7", **changed}
    reply = app.server.test_client().post("/_dash-update-component", json=upload_request(app, **fields))
    text = reply.get_data(as_text=True)
    assert reply.status_code == 400 and text.startswith(named) and text.rstrip().endswith(".") and text.count(". ") == 0, text
    assert "Traceback" not in capsys.readouterr().err
    assert nothing_stored()


def test_a_missing_file_name_takes_the_typed_name(app):
    reply = app.server.test_client().post("/_dash-update-component", json=upload_request(
        app, {"contents": data_url(HAND), "filename": None}, name="typed"))
    assert "Stored in dataset typed" in reply.get_data(as_text=True)


anything = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                                  st.text(max_size=20)),
                        lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                        max_leaves=6)
texts = st.one_of(st.none(), st.text(max_size=80),
                  st.sampled_from(["hand", " ops ", "bad name!", "x" * 65, "a\x00b", "\ud800", "?seed=7&days=9999999"]))
contents = st.one_of(anything, st.sampled_from([data_url(HAND), data_url(HAND)[:-7], "data:text/csv;base64,@@",
                                                 data_url(b"ts,kind,service\n"), data_url(b"\x00\xff" * 50),
                                                 "data:,x", data_url(HAND).replace("base64", "utf8")]))
payloads = st.one_of(anything, st.fixed_dictionaries({"contents": contents, "filename": st.one_of(texts, anything)}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(payload=payloads, name=st.one_of(texts, anything), service=st.one_of(texts, anything),
       source=st.one_of(st.sampled_from(["events", "pagerduty", "git", "nope"]), anything),
       search=st.one_of(texts, anything))
def test_the_upload_callback_never_answers_500_nor_logs_a_traceback(app, capsys, payload, name, service, source,
                                                                    search):
    before = [(d.name, d.events) for d in store.list_datasets()], len(store.audit_log())
    reply = app.server.test_client().post("/_dash-update-component", json=upload_request(
        app, payload, name=name, source=source, service=service, search=search))
    assert reply.status_code in (200, 204, 400), reply.get_data(as_text=True)[:300]
    assert "Traceback" not in reply.get_data(as_text=True)
    assert "Traceback" not in capsys.readouterr().err
    if "Stored in dataset" not in reply.get_data(as_text=True):
        assert ([(d.name, d.events) for d in store.list_datasets()], len(store.audit_log())) == before


# -- a full disk: the temporary file's or the store's ---------------------------------------------

DISK_FULL = "The server's disk is full, so nothing was stored"


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["write", "directory"])
def test_a_full_temporary_disk_is_one_sentence_and_stores_nothing(app, capsys, monkeypatch, where):
    if where == "write":
        monkeypatch.setattr(pathlib.Path, "write_bytes", no_space)
    else:
        monkeypatch.setattr(tempfile, "mkdtemp", no_space)
    with pytest.raises(UploadError, match=DISK_FULL):
        import_upload(data_url(HAND), "hand.csv", "hand", "events")
    reply = app.server.test_client().post("/_dash-update-component", json=upload_request(
        app, {"contents": data_url(HAND), "filename": "hand.csv"}, name="hand"))
    assert reply.status_code == 200
    report = reply.get_json()["response"]["upload-report"]["children"]
    assert report["props"]["id"] == "upload-error" and DISK_FULL in str(report)
    assert "the error is in the server log" not in reply.get_data(as_text=True)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "disk is full" in err
    assert nothing_stored()


def test_a_full_store_is_the_same_sentence_and_stores_nothing(app, capsys, monkeypatch):
    """A real SQLite "database or disk is full": every new connection may not grow the file."""
    import_upload(data_url(HAND), "hand.csv", "before", "events")
    before = store.version("before"), len(store.audit_log())
    connect = sqlite3.connect

    def full(*args, **kwargs):
        con = connect(*args, **kwargs)
        con.execute(f"PRAGMA max_page_count = {con.execute('PRAGMA page_count').fetchone()[0]}")
        return con
    monkeypatch.setattr(sqlite3, "connect", full)
    with pytest.raises(store.StoreError, match="is full"):          # what the store says (the command line's)
        store.save("direct", store.load("before"))
    with pytest.raises(UploadError, match=DISK_FULL):
        import_upload(data_url(HAND.replace(b"2024-01-0", b"2025-01-0")), "hand.csv", "hand", "events")
    reply = app.server.test_client().post("/_dash-update-component", json=upload_request(
        app, {"contents": data_url(HAND.replace(b"2024-01-0", b"2025-01-0")), "filename": "hand.csv"}, name="hand"))
    report = reply.get_json()["response"]["upload-report"]["children"]
    assert report["props"]["id"] == "upload-error" and DISK_FULL in str(report)
    assert str(store.store_path()) not in reply.get_data(as_text=True)       # the server's paths stay in its log
    err = capsys.readouterr().err
    assert "Traceback" not in err and "is full" in err
    monkeypatch.setattr(sqlite3, "connect", connect)
    assert [d.name for d in store.list_datasets()] == ["before"]
    assert (store.version("before"), len(store.audit_log())) == before
