"""The contact centre's hours in every page's footer (SU-2), in Brussels time."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from paraph.core.hours import OpeningHours

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
DASH = "\u2013"  # the en dash between opening and closing time
UTC = dt.UTC


def footer(client, when: dt.datetime) -> str:
    client.cookies["paraph_language"] = "en"
    with time_machine.travel(when, tick=False):
        page = client.get("/").content.decode()
    found = re.search(r'<footer class="site-footer">(.*?)</footer>', page, re.S)
    assert found is not None, "every page has the site footer"
    text = found.group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def test_the_footer_shows_the_phone_and_the_hours(client, settings):
    settings.CONTACT_PHONE = "+32 2 664 13 60"
    text = footer(client, dt.datetime(2026, 3, 4, 10, 0, tzinfo=BRUSSELS))
    assert "Contact centre: +32 2 664 13 60" in text
    assert f"Monday to Friday, 08:00{DASH}16:45." in text


def test_open_on_a_wednesday_morning(client):
    assert "Open now." in footer(client, dt.datetime(2026, 3, 4, 10, 0, tzinfo=BRUSSELS))


def test_still_open_one_second_before_closing(client):
    assert "Open now." in footer(client, dt.datetime(2026, 3, 4, 16, 44, 59, tzinfo=BRUSSELS))


def test_closed_at_16_45_exactly_and_opens_next_morning(client):
    text = footer(client, dt.datetime(2026, 3, 4, 16, 45, tzinfo=BRUSSELS))
    assert "Open now." not in text
    assert "Closed, opens Thursday 5 March, 08:00." in text


def test_closed_early_in_the_morning_opens_the_same_day(client):
    text = footer(client, dt.datetime(2026, 3, 4, 7, 59, tzinfo=BRUSSELS))
    assert "Closed, opens Wednesday 4 March, 08:00." in text


def test_friday_evening_opens_on_monday(client):
    text = footer(client, dt.datetime(2026, 3, 6, 19, 30, tzinfo=BRUSSELS))
    assert "Closed, opens Monday 9 March, 08:00." in text


def test_a_configured_holiday_is_skipped(client, settings):
    settings.CONTACT_HOLIDAYS = ["2026-04-06"]  # Easter Monday
    text = footer(client, dt.datetime(2026, 4, 3, 18, 0, tzinfo=BRUSSELS))
    assert "Closed, opens Tuesday 7 April, 08:00." in text
    text = footer(client, dt.datetime(2026, 4, 6, 10, 0, tzinfo=BRUSSELS))
    assert "Closed, opens Tuesday 7 April, 08:00." in text


def test_without_the_holiday_that_monday_is_an_ordinary_day(client, settings):
    settings.CONTACT_HOLIDAYS = []
    assert "Open now." in footer(client, dt.datetime(2026, 4, 6, 10, 0, tzinfo=BRUSSELS))


def test_the_week_clocks_go_forward(client):
    # Summer time starts on Sunday 29 March 2026: 08:00 on Monday is 06:00 UTC,
    # where the Friday before it was 07:00 UTC.
    text = footer(client, dt.datetime(2026, 3, 27, 16, 0, tzinfo=UTC))  # 17:00 CET
    assert "Closed, opens Monday 30 March, 08:00." in text
    assert "Open now." in footer(client, dt.datetime(2026, 3, 27, 7, 0, tzinfo=UTC))
    assert "Closed" in footer(client, dt.datetime(2026, 3, 30, 5, 59, tzinfo=UTC))
    assert "Open now." in footer(client, dt.datetime(2026, 3, 30, 6, 0, tzinfo=UTC))
    # 16:45 CEST is 14:45 UTC.
    assert "Open now." in footer(client, dt.datetime(2026, 3, 30, 14, 44, tzinfo=UTC))
    assert "Closed" in footer(client, dt.datetime(2026, 3, 30, 14, 45, tzinfo=UTC))


def test_the_week_clocks_go_back(client):
    # Winter time starts on Sunday 25 October 2026: 08:00 on Monday is 07:00 UTC.
    text = footer(client, dt.datetime(2026, 10, 23, 15, 0, tzinfo=UTC))  # 17:00 CEST
    assert "Closed, opens Monday 26 October, 08:00." in text
    assert "Closed" in footer(client, dt.datetime(2026, 10, 26, 6, 30, tzinfo=UTC))
    assert "Open now." in footer(client, dt.datetime(2026, 10, 26, 7, 0, tzinfo=UTC))
    assert "Closed" in footer(client, dt.datetime(2026, 10, 26, 15, 45, tzinfo=UTC))


def test_configured_hours_show_in_the_footer(client, settings):
    settings.CONTACT_HOURS = "mon-sat 09:00-12:30"
    text = footer(client, dt.datetime(2026, 3, 7, 12, 0, tzinfo=BRUSSELS))  # a Saturday
    assert f"Monday to Saturday, 09:00{DASH}12:30." in text
    assert "Open now." in text
    text = footer(client, dt.datetime(2026, 3, 7, 12, 30, tzinfo=BRUSSELS))
    assert "Closed, opens Monday 9 March, 09:00." in text


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("mon-fri 08:00-16:45", "Monday to Friday"),
        ("fri-mon 08:00-16:45", "Friday to Monday"),
        ("wed 10:00-12:00", "Wednesday"),
        ("mon-sun 00:00-23:59", "Every day"),
    ],
)
def test_opening_days_read_as_words(spec, days):
    with translation.override("en"):
        assert OpeningHours.parse(spec, []).days_text() == days


def test_a_week_wrapping_range_opens_on_the_weekend():
    hours = OpeningHours.parse("fri-mon 08:00-16:45", [])
    saturday = dt.datetime(2026, 3, 7, 10, 0, tzinfo=BRUSSELS)
    assert hours.is_open(saturday)
    assert not hours.is_open(saturday + dt.timedelta(days=3))  # Tuesday


@pytest.mark.parametrize(
    ("spec", "holidays"),
    [("monday to friday", []), ("mon-fri 8:00-16:45", []), ("mon-fri 08:00-16:45", ["25/12"])],
)
def test_a_wrong_setting_stops_with_a_clear_message(spec, holidays):
    with pytest.raises(ImproperlyConfigured, match="PARAPH_CONTACT_"):
        OpeningHours.parse(spec, holidays)
