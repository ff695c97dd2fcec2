"""Sign-in in headless Chromium: the basic form and the OpenID Connect code flow against a provider
running on 127.0.0.1, what each role sees, and sign-out."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from dashboard.auth import AuthSettings
from fake_oidc import FakeProvider
from metrics import users


pytestmark = pytest.mark.browser
KEY = "b" * 40


def no_console_errors(duo, expected=()):
    """No SEVERE browser log entry but the ``expected`` ones (a wrong password's 401 on /login)."""
    logs = [e for e in duo.get_logs() or [] if e.get("level") == "SEVERE"
            and not any(x in e.get("message", "") for x in expected)]
    assert logs == [], logs


def open_signed_out(dash_duo, settings):
    dash_duo.driver.set_window_size(1366, 900)
    dash_duo.start_server(create_app(auth_settings=settings), navigate=False)
    dash_duo.driver.get(dash_duo.server.url + "/?seed=7&days=30")
    return dash_duo


def test_basic_sign_in_shows_the_user_and_sign_out_ends_it(dash_duo, data_dir):
    path = users.users_path(data_dir)
    users.add(path, "alice", "editor", "alice-password")
    duo = open_signed_out(dash_duo, AuthSettings(mode="basic", secret_key=KEY, users_file=path))
    duo.wait_for_element("#username", timeout=20)
    assert "/login" in duo.driver.current_url
    duo.find_element("#username").send_keys("alice")
    duo.find_element("#password").send_keys("wrong-password")
    duo.find_element("#sign-in").click()
    duo.wait_for_contains_text("#login-error", "Wrong user name or password.", timeout=10)
    duo.find_element("#password").send_keys("alice-password")
    duo.find_element("#sign-in").click()
    duo.wait_for_text_to_equal("#signed-in-user", "alice", timeout=20)
    duo.wait_for_element("#kpi-deploys-value", timeout=20)
    assert duo.driver.current_url.endswith("/?seed=7&days=30")       # back where the visitor was going
    assert duo.find_element("#upload-toggle").is_displayed()
    no_console_errors(duo, expected=["/login - Failed to load resource: the server responded with a status of 401"])
    # a click dispatched on the button itself (a chart settling nearby may cover the point a pointer aims at)
    duo.driver.execute_script("arguments[0].click()", duo.driver.find_element(By.ID, "sign-out"))
    WebDriverWait(duo.driver, 30).until(EC.presence_of_element_located((By.ID, "signed-out")),
                                        message=duo.driver.page_source[:2000])
    assert duo.driver.find_element(By.ID, "signed-out").text == "You are signed out."
    duo.driver.get(duo.server.url + "/")
    duo.wait_for_element("#username", timeout=10)


def test_oidc_sign_in_through_the_provider(dash_duo, data_dir):
    people = {"erin": ["eng", "platform"], "vic": ["eng"]}
    with FakeProvider("metrics", "client-secret", people) as provider:
        settings = AuthSettings(mode="oidc", secret_key=KEY, issuer=provider.issuer, client_id="metrics",
                                client_secret="client-secret", editor_groups=frozenset({"platform"}))
        duo = open_signed_out(dash_duo, settings)
        duo.wait_for_element("#oidc-sign-in", timeout=20).click()
        duo.wait_for_element("#provider-user", timeout=10).send_keys("vic")
        duo.find_element("#provider-approve").click()
        duo.wait_for_text_to_equal("#signed-in-user", "vic", timeout=20)
        duo.wait_for_element("#kpi-deploys-value", timeout=20)
        assert "(viewer)" in duo.find_element("#signed-in-user").find_element("xpath", "..").text
        assert not duo.find_element("#upload-toggle").is_displayed()      # a viewer has no upload
        assert any(r.startswith("POST /token") for r in provider.requests)
        no_console_errors(duo)
