"""Reading the client's address behind trusted proxies (WG_TRUSTED_PROXIES): pure logic, no HTTP."""

from __future__ import annotations

import ipaddress

import pytest

from wg.lib.proxies import client_address, parse_address
from wg.settings import SettingsError, load_settings

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"))


@pytest.mark.parametrize(("peer", "headers", "client"), [
    # Nothing to read: the peer is the client.
    ("10.0.0.2", [], "10.0.0.2"),
    # From a trusted proxy: the address it appended.
    ("10.0.0.2", ["203.0.113.7"], "203.0.113.7"),
    # What the client wrote to the left of it is ignored: the right-most address that is not a proxy counts.
    ("10.0.0.2", ["198.51.100.1, 203.0.113.7"], "203.0.113.7"),
    # Through two trusted proxies; several header lines read as one list.
    ("10.0.0.2", ["198.51.100.1, 203.0.113.7", "10.1.2.3"], "203.0.113.7"),
    # Everything trusted: the left-most address.
    ("10.0.0.2", ["10.9.9.9, 10.1.1.1"], "10.9.9.9"),
    # Not an address: the walk stops at the last address read.
    ("10.0.0.2", ["203.0.113.7, unknown"], "10.0.0.2"),
    ("10.0.0.2", ["<script>, 10.1.1.1"], "10.1.1.1"),
    # Ports, brackets and IPv6.
    ("10.0.0.2", ["203.0.113.7:4711"], "203.0.113.7"),
    ("2001:db8::1", ['"[2001:db8:cafe::17]:4711"'], "2001:db8:cafe::17"),
    ("::ffff:10.0.0.2", ["203.0.113.7"], "203.0.113.7"),
    # An untrusted peer's header is ignored, whatever it says.
    ("192.0.2.50", ["203.0.113.7"], "192.0.2.50"),
    ("192.0.2.50", ["10.0.0.2"], "192.0.2.50"),
    ("testclient", ["203.0.113.7"], "testclient"),
])
def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(peer, headers, client):
    assert client_address(peer, headers, TRUSTED) == client


def test_without_trusted_proxies_the_header_is_never_read():
    assert client_address("127.0.0.1", ["203.0.113.7"], ()) == "127.0.0.1"


@pytest.mark.parametrize("value", ["", "unknown", "1.2.3", "300.1.1.1", "[::1", "_hidden"])
def test_what_is_not_an_address_is_not_one(value):
    assert parse_address(value) is None


def test_the_settings_read_addresses_and_networks(tmp_path):
    settings = load_settings({"WG_DATA_DIR": str(tmp_path), "WG_TRUSTED_PROXIES": " 10.0.0.2, 172.16.0.0/12 ,::1,",
                              "WG_AUDIT_FAILED_LOGIN_RETENTION_DAYS": "30"})
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.2/32", "172.16.0.0/12", "::1/128"]
    assert settings.failed_login_retention_days == 30
    defaults = load_settings({"WG_DATA_DIR": str(tmp_path)})
    assert defaults.trusted_proxies == () and defaults.failed_login_retention_days == 90


@pytest.mark.parametrize(("name", "value", "message"), [
    ("WG_TRUSTED_PROXIES", "10.0.0.2, proxy.example.org", "WG_TRUSTED_PROXIES: 'proxy.example.org' is not an IP"),
    ("WG_TRUSTED_PROXIES", "10.0.0.0/33", "'10.0.0.0/33' is not an IP address or network"),
    ("WG_AUDIT_FAILED_LOGIN_RETENTION_DAYS", "-1", "must be 0 or a positive number of days"),
    ("WG_AUDIT_FAILED_LOGIN_RETENTION_DAYS", "a month", "must be a whole number of days"),
])
def test_bad_settings_are_refused_with_the_variable_named(tmp_path, name, value, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({"WG_DATA_DIR": str(tmp_path), name: value})
