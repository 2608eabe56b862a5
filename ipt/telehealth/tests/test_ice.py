"""ICE servers: STUN from settings, TURN with coturn REST-API credentials (checked by hand)."""

from types import SimpleNamespace

from ipt.telehealth.ice import ice_servers_for, turn_credentials

USER = SimpleNamespace(pk="0b9d3c1e-4a57-4bfa-9f3e-2d1c0a7b8e6f")
NOW = 1_700_000_000


def test_turn_credentials_match_a_hand_computed_vector():
    # printf '%s' '1700003600:alice' | openssl dgst -sha1 -hmac 'north-sea' -binary | base64
    assert turn_credentials("north-sea", "alice", 1_700_003_600) == (
        "1700003600:alice",
        "ABCZ9rm6PpoFJTL3dYwDZQdxxKI=",
    )


def test_stun_and_turn_come_from_the_settings_with_credentials_that_expire(settings):
    settings.IPT_STUN_URLS = ["stun:stun.example.test:3478"]
    settings.IPT_TURN_URLS = ["turn:turn.example.test:3478?transport=udp", "turns:turn.example.test:5349"]
    settings.IPT_TURN_SECRET = "north-sea"
    settings.IPT_TURN_TTL_SECONDS = 3600
    servers = ice_servers_for(USER, now=NOW)
    assert servers[0] == {"urls": ["stun:stun.example.test:3478"]}
    username, credential = turn_credentials("north-sea", USER.pk, NOW + 3600)
    assert servers[1] == {
        "urls": ["turn:turn.example.test:3478?transport=udp", "turns:turn.example.test:5349"],
        "username": f"{NOW + 3600}:{USER.pk}",
        "credential": credential,
    }
    assert username == servers[1]["username"]


def test_without_a_secret_there_is_no_turn_server(settings):
    settings.IPT_STUN_URLS = ["stun:stun.example.test:3478"]
    settings.IPT_TURN_URLS = ["turn:turn.example.test:3478"]
    settings.IPT_TURN_SECRET = ""
    assert ice_servers_for(USER, now=NOW) == [{"urls": ["stun:stun.example.test:3478"]}]


def test_nothing_configured_means_no_ice_servers(settings):
    settings.IPT_STUN_URLS, settings.IPT_TURN_URLS, settings.IPT_TURN_SECRET = [], [], ""
    assert ice_servers_for(USER) == []
