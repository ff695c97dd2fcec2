"""The app factory, the local CSS, /health, and ``python app.py`` argument errors."""
import pytest
from conftest import run_cli

from dashboard.app import CSS_ROUTE, create_app
from dashboard.state import View


def test_each_app_gets_its_own_callbacks_and_defaults():
    a, b = create_app(), create_app(View(seed=7, days=30))
    assert a.callback_map and len(a.callback_map) == len(b.callback_map)
    assert a.server is not b.server


def test_health_and_local_bootstrap():
    client = create_app().server.test_client()
    assert client.get("/health").status_code == 200
    css = client.get(CSS_ROUTE)
    assert css.status_code == 200 and css.mimetype == "text/css" and b"Bootstrap  v5.3" in css.data
    page = client.get("/").get_data(as_text=True)
    assert CSS_ROUTE in page
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "fonts.googleapis"):
        assert cdn not in page


def test_app_arguments_are_checked():
    for args, message in ((["--seed", "x"], "seed must be a whole number"), (["--days", "4000"], "days must be a whole number between 1 and 3650, got 4000"),
                          (["--port", "70000"], "port must be a whole number between 1 and 65535"),
                          (["--dataset", "nothing"], "no dataset named 'nothing'")):
        p = run_cli("app.py", *args, module=None)
        assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_an_app_opening_on_a_dataset_can_still_go_synthetic():
    from dashboard.state import from_query, to_query
    defaults = View(dataset="shop", days=0)
    synthetic = View(seed=7, days=30)
    query = to_query(synthetic, defaults)
    assert "data=&" in query or query.endswith("data=")
    assert from_query(query, defaults) == (synthetic, [])
    assert from_query("", defaults) == (defaults, [])


# -- listening on every address (issue 26) ------------------------------------------------------------

def machine_addresses() -> list[str]:
    """This machine's own addresses as the system's tools list them (``hostname -I``, else ``ip -o
    addr``): an oracle independent of the server's own code."""
    import shutil
    import subprocess
    if shutil.which("hostname"):
        found = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
        if found:
            return found
    if shutil.which("ip"):
        lines = subprocess.run(["ip", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True).stdout
        return [line.split()[3].split("/")[0] for line in lines.splitlines() if len(line.split()) > 3]
    return []


def test_listening_on_every_address_answers_for_the_machines_own_addresses(monkeypatch):
    """``python app.py --host 0.0.0.0 --allow-anonymous``: a request by the machine's own address
    is answered (it was 400 unless METRICS_ALLOWED_HOSTS was set), another host name still is not
    (DNS rebinding), and one line on stderr says what is allowed and what to set for other names."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request
    from conftest import ROOT
    addresses = [a for a in machine_addresses() if ":" not in a]
    if not addresses:
        pytest.skip("this machine lists no address of its own but loopback")
    monkeypatch.delenv("METRICS_ALLOWED_HOSTS", raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "app.py", "--host", "0.0.0.0", "--port", str(port), "--allow-anonymous",
                               "--days", "7", "--services", "2"], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))

    def status(address: str, host: str | None = None) -> int:
        request = urllib.request.Request(f"http://{address}:{port}/health", headers={"Host": host} if host else {})
        try:
            return urllib.request.urlopen(request, timeout=5).status
        except urllib.error.HTTPError as e:
            return e.code

    try:
        deadline = time.time() + 60
        while True:
            try:
                if status("127.0.0.1") == 200:
                    break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        for address in addresses:
            assert status(address) == 200, address
        assert status(addresses[0], "attacker.example") == 400
    finally:
        server.terminate()
        stderr = server.communicate(timeout=20)[1]
    said = [line for line in stderr.splitlines() if "set METRICS_ALLOWED_HOSTS" in line]
    assert len(said) == 1 and addresses[0] in said[0] and "localhost" in said[0], stderr[-2000:]


def test_every_address_allows_the_machines_own(monkeypatch):
    from dashboard.security import allowed_hosts, hosts_line
    monkeypatch.delenv("METRICS_ALLOWED_HOSTS", raising=False)
    own = machine_addresses()
    if not own:
        pytest.skip("this machine lists no address of its own but loopback")
    for wildcard in ("0.0.0.0", "::"):
        hosts = allowed_hosts(wildcard)
        assert {"localhost", "127.0.0.1", "[::1]"} <= hosts and wildcard not in hosts
        assert {f"[{a}]" if ":" in a else a for a in own} <= hosts, (own, hosts)
    assert allowed_hosts("10.1.2.3") == {"localhost", "127.0.0.1", "[::1]", "::1", "10.1.2.3"}
    assert hosts_line("10.1.2.3") == "" and hosts_line(None) == ""                 # one address: nothing to say
    monkeypatch.setenv("METRICS_ALLOWED_HOSTS", "metrics.example.com")
    assert allowed_hosts("0.0.0.0") == {"metrics.example.com"} and hosts_line("0.0.0.0") == ""


FIB_TRIE = """Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.168.1.0/24 2 0 2
        |-- 192.168.1.0
           /24 link UNICAST
        |-- 192.168.1.23
           /32 host LOCAL
        |-- 192.168.1.255
           /32 link BROADCAST
"""
IF_INET6 = """00000000000000000000000000000001 01 80 10 80       lo
fe800000000000000a0027fffe8a1b2c 02 40 20 80     eth0
20010db8000000000000000000000001 02 40 00 80     eth0
"""


def test_interface_addresses_as_linux_lists_them(monkeypatch):
    """The two /proc files as the kernel writes them (a machine with one LAN address and a global
    IPv6 one): the local /32 host addresses (not the network, broadcast or /8 route entries), the
    IPv6 addresses but the link-local (scope 20); and a server on every address answers for them."""
    from dashboard import security
    assert security.local_ipv4(FIB_TRIE) == {"127.0.0.1", "192.168.1.23"}
    assert security.ipv6_addresses(IF_INET6) == {"::1", "2001:db8::1"}
    monkeypatch.setattr(security, "interface_addresses", lambda: {"192.168.1.23", "2001:db8::1"})
    monkeypatch.delenv("METRICS_ALLOWED_HOSTS", raising=False)
    assert {"192.168.1.23", "[2001:db8::1]"} <= security.allowed_hosts("0.0.0.0")
