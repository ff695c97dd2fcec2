"""Uploads: the importers behind the dashboard's drag and drop, its limits and its messages."""
import base64

import pytest

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
