"""Sign-in in headless Chromium: the basic form and the OpenID Connect code flow against a provider
running on 127.0.0.1, what each role sees, and sign-out."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
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
        assert not duo.driver.find_elements(By.ID, "upload-toggle")      # a viewer has no upload
        assert any(r.startswith("POST /token") for r in provider.requests)
        no_console_errors(duo)


def test_a_viewer_is_sent_no_upload_and_the_page_works_without_it(dash_duo, data_dir):
    """A viewer's page holds no upload (no button, no drop zone, no file input); its callbacks still
    run with no browser console error and no error of Dash's own (its dev tools show them)."""
    path = users.users_path(data_dir)
    users.add(path, "victor", "viewer", "victor-password")
    dash_duo.driver.set_window_size(1366, 900)
    dash_duo.start_server(create_app(auth_settings=AuthSettings(mode="basic", secret_key=KEY, users_file=path)),
                          navigate=False, dev_tools_ui=True, dev_tools_props_check=True)
    dash_duo.driver.get(dash_duo.server.url + "/?seed=7&days=30")
    dash_duo.wait_for_element("#username", timeout=20).send_keys("victor")
    dash_duo.find_element("#password").send_keys("victor-password")
    dash_duo.find_element("#sign-in").click()
    dash_duo.wait_for_text_to_equal("#signed-in-user", "victor", timeout=20)
    dash_duo.wait_for_element("#kpi-deploys-value", timeout=20)
    seed = dash_duo.find_element("#seed-input")                  # another view: the page's callbacks run again
    seed.send_keys(Keys.CONTROL, "a")
    seed.send_keys("8", Keys.ENTER)
    WebDriverWait(dash_duo.driver, 20).until(lambda driver: "seed=8" in driver.current_url)
    dash_duo.wait_for_element("#kpi-deploys-value", timeout=20)
    for part in ("#upload", "#upload-toggle", "#upload-panel", "#upload-payload", "input[type=file]"):
        assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, part), part
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-fe-error__title, .dash-fe-error-top")
    no_console_errors(dash_duo)
