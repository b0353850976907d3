"""The insights route's view of Instagram's online_followers (services/gateway/insights/online_followers.py):
each way it can go is a status with words, never an error, and Instagram is asked at most once an hour."""
from datetime import datetime, timezone

from services.gateway.insights import online_followers
from shared.instagram import InstagramError

BODY = {"data": [{"name": "online_followers", "period": "lifetime",
                  "values": [{"value": {str(k): 100 + k for k in range(24)}, "end_time": "2026-12-01T07:00:00+0000"}]}]}
USER = {"_id": "u1", "instagram": {"ig_user_id": "1789", "token": "sealed"}}


class Redis:
    def __init__(self):
        self.kept = {}

    def get(self, key):
        return self.kept.get(key)

    def set(self, key, value, ex=None):
        self.kept[key] = value


class Cipher:
    def decrypt(self, sealed):
        return "token"


class Client:
    def __init__(self, answer):
        self.answer, self.calls = answer, 0

    def online_followers(self, token, ig_user_id):
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def fetch(client, redis=None, user=USER):
    return online_followers.fetch(None, redis or Redis(), Cipher(), client, user)


def test_shown_and_kept_for_an_hour():
    client, redis = Client(BODY), Redis()
    first = fetch(client, redis)
    assert first["status"] == "shown" and first["days"] == 1
    assert first["hours_utc"][7] == 100 and first["hours_utc"][6] == 123  # the day starts at 07:00 UTC
    assert fetch(client, redis) == first and client.calls == 1


def test_each_refusal_is_a_status():
    assert fetch(Client({"data": []}))["status"] == "no_data"  # under 100 followers
    refused = InstagramError("(#10) Application does not have permission for this action", code=10, status=400)
    assert fetch(Client(refused))["status"] == "not_granted"
    assert fetch(Client(InstagramError("boom", code=2, status=500)))["status"] == "unavailable"
    assert fetch(Client(BODY), user={"_id": "u2"})["status"] == "not_connected"


def test_in_the_persons_zone():
    found = fetch(Client(BODY))
    athens = online_followers.in_zone(found, "Europe/Athens", now=datetime(2026, 7, 1, tzinfo=timezone.utc))
    assert athens["peak_hour"] == (6 + 3) % 24  # 123 followers at 06:00 UTC: 09:00 in Athens in summer
    assert [h["hour"] for h in athens["hours"]] == list(range(24))
    winter = online_followers.in_zone(found, "Europe/Athens", now=datetime(2026, 1, 15, tzinfo=timezone.utc))
    assert winter["peak_hour"] == 8 and "(Instagram, the last day)" in winter["message"]
    refused = online_followers.in_zone({"status": "not_granted", "hours_utc": None, "days": 0}, "UTC")
    assert refused["hours"] is None and refused["peak_hour"] is None and "reconnect" in refused["message"]
