import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ingest.dates import date_from_url, parse_datetime, parse_local, to_utc

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[1]


CASES = [
    # ISO 8601 / RFC 3339
    ("2023-07-14T09:30:00+03:30", "UTC", None, "2023-07-14T06:00:00+00:00"),
    ("2023-07-14T06:00:00Z", "Asia/Tehran", None, "2023-07-14T06:00:00+00:00"),
    ("2023-07-14T09:30:00.123+03:30", "UTC", None, "2023-07-14T06:00:00.123000+00:00"),
    ("2023-07-14T09:30:00.123456789Z", "UTC", None, "2023-07-14T09:30:00.123456+00:00"),
    ("2023-07-14T09:30:00+0330", "UTC", None, "2023-07-14T06:00:00+00:00"),
    ("2023-07-14T09:30:00 +03:30", "Europe/Paris", None, "2023-07-14T06:00:00+00:00"),
    ("2023-07-14T09:30:00-04:00", "Asia/Tehran", None, "2023-07-14T13:30:00+00:00"),
    ("2023-07-14 09:30:00 UTC", "Asia/Tehran", None, "2023-07-14T09:30:00+00:00"),
    ("2023-07-14T09:30:00+03:30[Asia/Tehran]", "UTC", None, "2023-07-14T06:00:00+00:00"),
    ("20230714T093000Z", "Asia/Tehran", None, "2023-07-14T09:30:00+00:00"),
    ("2023-07", "UTC", None, "2023-07-01T00:00:00+00:00"),
    # naive values: wall time in the site's zone
    ("2023-07-14 09:30:00", "Asia/Tehran", None, "2023-07-14T06:00:00+00:00"),
    ("2021-06-01 12:00", "Asia/Tehran", None, "2021-06-01T07:30:00+00:00"),  # Iran DST (+04:30) until 2022
    ("2023-07-14", "Asia/Tehran", None, "2023-07-13T20:30:00+00:00"),
    ("2023-03-12T02:30:00", "America/New_York", None, "2023-03-12T07:30:00+00:00"),  # gap: 03:30 EDT
    ("2023-11-05 01:30", "America/New_York", None, "2023-11-05T05:30:00+00:00"),  # fold: first (EDT)
    ("2023-07-14 12:00", "Europe/Paris", None, "2023-07-14T10:00:00+00:00"),
    ("2023-01-14 12:00", "Europe/Paris", None, "2023-01-14T11:00:00+00:00"),
    ("2023/07/14 10:00", "Europe/Paris", None, "2023-07-14T08:00:00+00:00"),
    ("14.03.2021", "Europe/Berlin", None, "2021-03-13T23:00:00+00:00"),
    ("14.03.2021, 10:00 Uhr", "Europe/Berlin", None, "2021-03-14T09:00:00+00:00"),
    ("7/14/2023 3:45 PM", "America/New_York", None, "2023-07-14T19:45:00+00:00"),
    # RFC 2822 and Java's Date.toString
    ("Fri, 14 Jul 2023 09:30:00 +0330", "UTC", None, "2023-07-14T06:00:00+00:00"),
    ("Fri, 14 Jul 2023 09:30:00 GMT", "Asia/Tehran", None, "2023-07-14T09:30:00+00:00"),
    ("Fri, 14 Jul 2023 09:30:00 -0000", "Asia/Tehran", None, "2023-07-14T09:30:00+00:00"),
    ("Fri, 14 Jul 2023 09:30:00", "Asia/Tehran", None, "2023-07-14T06:00:00+00:00"),
    ("Tue Jul 30 09:35:14 CEST 2019", "UTC", None, "2019-07-30T07:35:14+00:00"),
    # English, with bylines' words around
    ("March 14, 2021", "Asia/Tehran", None, "2021-03-13T20:30:00+00:00"),
    ("Posted on July 3, 2022 by Jane Roe", "UTC", None, "2022-07-03T00:00:00+00:00"),
    ("Published: July 14, 2023", "UTC", ["en-US"], "2023-07-14T00:00:00+00:00"),
    ("Last updated on 14 Jul 2023", "Europe/London", None, "2023-07-13T23:00:00+00:00"),
    ("July 3, 2022 10:15 am EDT", "UTC", None, "2022-07-03T14:15:00+00:00"),
    ("Updated July 3, 2022 at 10:15 a.m. ET", "UTC", None, "2022-07-03T14:15:00+00:00"),
    ("Updated: 3 July 2022, 14:05 +0200", "UTC", None, "2022-07-03T12:05:00+00:00"),
    ("Friday, July 14, 2023 - 09:30", "America/New_York", None, "2023-07-14T13:30:00+00:00"),
    ("July 2022", "UTC", None, "2022-07-01T00:00:00+00:00"),
    # French, German, Spanish, Russian
    ("12 juillet 2023 à 14h30", "Europe/Paris", ["fr"], "2023-07-12T12:30:00+00:00"),
    ("mercredi 12 juillet 2023", "Europe/Paris", None, "2023-07-11T22:00:00+00:00"),
    ("Publié le 12 juillet 2023 à 14h30", "Europe/Paris", None, "2023-07-12T12:30:00+00:00"),
    ("Mis à jour le 12/07/2023 à 14:30", "Europe/Paris", ["fr"], "2023-07-12T12:30:00+00:00"),
    ("juillet 2023", "Europe/Paris", ["fr"], "2023-06-30T22:00:00+00:00"),
    ("14. März 2021", "Europe/Berlin", ["de"], "2021-03-13T23:00:00+00:00"),
    ("Veröffentlicht am 14. März 2021, 10:00 Uhr", "Europe/Berlin", None, "2021-03-14T09:00:00+00:00"),
    ("14 de marzo de 2021", "Europe/Madrid", None, "2021-03-13T23:00:00+00:00"),
    ("14 de marzo de 2021 a las 10:00", "Europe/Madrid", ["es"], "2021-03-14T09:00:00+00:00"),
    ("14 марта 2021", "Europe/Moscow", None, "2021-03-13T21:00:00+00:00"),
    ("14 марта 2021 г., 10:00", "Europe/Moscow", ["ru"], "2021-03-14T07:00:00+00:00"),
    # Arabic: Arabic-Indic digits, Egyptian, Levantine and Maghrebi month names, ص/م
    ("١٢ يوليو ٢٠٢٣", "Asia/Riyadh", ["ar"], "2023-07-11T21:00:00+00:00"),
    ("نشر في 14 يوليو 2023", "Asia/Riyadh", None, "2023-07-13T21:00:00+00:00"),
    ("١٤ يوليو ٢٠٢٣ ١٠:٣٠ م", "Asia/Riyadh", None, "2023-07-14T19:30:00+00:00"),
    ("الجمعة 14 تموز 2023", "Asia/Beirut", None, "2023-07-13T21:00:00+00:00"),
    ("14 كانون الثاني 2023", "Asia/Beirut", ["ar"], "2023-01-13T22:00:00+00:00"),
    ("14 جويلية 2023", "Africa/Algiers", None, "2023-07-13T23:00:00+00:00"),
    # Persian: Solar Hijri with month names or numeric, Persian digits, Gregorian in Persian
    ("۲۳ تیر ۱۴۰۲", "Asia/Tehran", ["fa"], "2023-07-13T20:30:00+00:00"),
    ("۲۳ تیر ۱۴۰۲ - ۱۴:۳۰", "Asia/Tehran", None, "2023-07-14T11:00:00+00:00"),
    ("پنجشنبه ۲۳ تیر ۱۴۰۲", "Asia/Tehran", None, "2023-07-13T20:30:00+00:00"),
    ("پنجشنبه ۲۳ تیر ۱۴۰۲ - ۱۴:۳۰", "Asia/Tehran", None, "2023-07-14T11:00:00+00:00"),
    ("منتشر شده: ۲۳ تیر ۱۴۰۲", "Asia/Tehran", None, "2023-07-13T20:30:00+00:00"),
    ("تاریخ انتشار: ۲۳ تير ۱۴۰۲ ساعت ۲:۳۰ ب.ظ", "Asia/Tehran", None, "2023-07-14T11:00:00+00:00"),
    ("۱۴:۳۰ - ۱۴۰۲/۰۴/۲۳", "Asia/Tehran", None, "2023-07-14T11:00:00+00:00"),
    ("۲۳ دی\u200cماه ۱۴۰۲", "Asia/Tehran", None, "2024-01-12T20:30:00+00:00"),
    ("۱ فروردین ۱۴۰۰", "Asia/Tehran", None, "2021-03-20T20:30:00+00:00"),
    ("۳۰ شهریور ۱۴۰۰ ۱۰:۰۰", "Asia/Tehran", None, "2021-09-21T05:30:00+00:00"),  # last day of DST, +04:30
    ("۳۱ شهریور ۱۴۰۰ ۱۰:۰۰", "Asia/Tehran", None, "2021-09-22T06:30:00+00:00"),  # +03:30 again
    ("۳۰ اسفند ۱۴۰۳", "Asia/Tehran", None, "2025-03-19T20:30:00+00:00"),  # leap year
    ("۱۴۰۲/۰۴/۲۳", "Asia/Tehran", None, "2023-07-13T20:30:00+00:00"),
    ("1402-04-23 14:30", "Asia/Tehran", None, "2023-07-14T11:00:00+00:00"),
    ("تیر ۱۴۰۲", "Asia/Tehran", None, "2023-06-21T20:30:00+00:00"),
    ("۱۴ ژوئیه ۲۰۲۳", "Asia/Tehran", ["fa"], "2023-07-13T20:30:00+00:00"),
]


@pytest.mark.parametrize("raw,tz,languages,expected", CASES)
def test_parse_datetime(raw, tz, languages, expected):
    parsed = parse_datetime(raw, timezone=tz, languages=languages, now=NOW)
    assert parsed is not None and parsed.isoformat() == expected


@pytest.mark.parametrize("raw,languages", [
    ("", None), ("   ", None), ("garbage", None), ("no date here", None), ("Page 2 of 10", None),
    ("12345", None), ("10:30", None), ("2023", None),
    ("2099-01-01", None), ("2026-01-03T00:00:00Z", None), ("۲۳ تیر ۱۴۱۰", None),  # future
    ("1850-06-01", None), ("June 1, 1850", None), ("14.03.1850", None),  # before 1990
    ("2 hours ago", None), ("3 days ago", None), ("il y a 2 jours", ["fr"]),  # relative
    ("July 14", None),  # no year: dateparser would read July 2014
    ("2023-02-30", None), ("31.02.2023", None), ("۳۱ اسفند ۱۴۰۲", None), ("۳۲ تیر ۱۴۰۲", None),  # no such day
    ("1444/12/26", ["ar"]),  # lunar Hijri: not Solar Hijri when Persian is ruled out
])
def test_rejects(raw, languages):
    assert parse_datetime(raw, languages=languages, now=NOW) is None


def test_future_is_rejected_relative_to_now():
    assert parse_datetime("2026-01-01T23:00:00Z", now=NOW) is not None
    assert parse_datetime("2026-01-03T00:00:00Z", now=NOW) is None
    assert parse_datetime("2026-01-03T00:00:00Z", now=NOW.replace(tzinfo=None) + timedelta(days=2)) is not None


def test_default_now_is_the_current_time():
    assert parse_datetime("2023-07-14") is not None
    assert parse_datetime((datetime.now(timezone.utc) + timedelta(days=3)).isoformat()) is None


def test_unknown_language_hint_falls_back_to_detection():
    assert parse_datetime("July 3, 2022", languages=["xx"], now=NOW).isoformat() == "2022-07-03T00:00:00+00:00"


def test_to_utc():
    assert to_utc(datetime(2023, 3, 12, 2, 30), "America/New_York") == datetime(2023, 3, 12, 7, 30, tzinfo=timezone.utc)
    assert to_utc(datetime(2023, 11, 5, 1, 30), "America/New_York") == datetime(2023, 11, 5, 5, 30, tzinfo=timezone.utc)
    assert to_utc(datetime(2023, 3, 26, 2, 30), "Europe/Paris") == datetime(2023, 3, 26, 1, 30, tzinfo=timezone.utc)
    assert to_utc(datetime(2023, 10, 29, 2, 30), "Europe/Paris") == datetime(2023, 10, 29, 0, 30, tzinfo=timezone.utc)
    aware = datetime(2023, 7, 14, 9, 30, tzinfo=timezone(timedelta(hours=3, minutes=30)))
    assert to_utc(aware, "America/New_York") == datetime(2023, 7, 14, 6, 0, tzinfo=timezone.utc)


LOCAL_CASES = [
    # (value, site zone, url, printed beside the headline) -> (published_local, zone)
    ("2020-02-15T07:00:00+09:00", "UTC", "", None, "2020-02-15T07:00:00+09:00", "page"),
    ("2020-02-15T07:00:00+09:00", "America/New_York", "", None, "2020-02-15T07:00:00+09:00", "page"),
    ("Sat, 15 Feb 2020 07:00:00 +0900", "UTC", "", None, "2020-02-15T07:00:00+09:00", "page"),
    ("July 3, 2022 10:15 am EDT", "UTC", "", None, "2022-07-03T10:15:00-04:00", "page"),
    ("July 3, 2022 10:15 ET", "Asia/Tokyo", "", None, "2022-07-03T10:15:00-04:00", "page"),
    ("2020-02-15 07:00", "Asia/Tokyo", "", None, "2020-02-15T07:00:00+09:00", "Asia/Tokyo"),
    ("2020-02-15", "UTC", "", None, "2020-02-15T00:00:00+00:00", "UTC"),
    # a UTC stamp says when, not on which day: the site's zone...
    ("2020-02-14T22:00:00Z", "Asia/Tokyo", "", None, "2020-02-15T07:00:00+09:00", "Asia/Tokyo"),
    ("2020-02-14T22:00:00Z", "UTC", "", None, "2020-02-14T22:00:00+00:00", "UTC"),
    # ...the offset or the day printed beside the headline...
    ("2023-11-09T03:28:35Z", "UTC", "", "Published Nov. 8, 2023, 10:28 p.m. ET",
     "2023-11-08T22:28:35-05:00", "page"),
    ("2023-11-09T01:09:55Z", "UTC", "", "November 8, 2023 at 6:09 p.m.", "2023-11-08", "text"),
    ("2023-11-09T01:09:55Z", "UTC", "https://x.example/2023/11/08/a/", "November 9, 2023 at 2:09",
     "2023-11-09T01:09:55+00:00", "UTC"),  # a printed time on the stamp's day: the URL says nothing
    ("2020-07-18T20:01:31Z", "UTC", "", "Sunday, July 19, 2020",  # no time: the day's masthead
     "2020-07-18T20:01:31+00:00", "UTC"),
    ("2023-11-09T20:00:00Z", "UTC", "", "November 8, 2023 at 4:00 p.m.",  # no zone is 20 h behind
     "2023-11-09T20:00:00+00:00", "UTC"),
    # ...or the full date in its URL
    ("2023-11-09T01:49:09Z", "UTC", "https://x.example/2023/11/08/vote/", None, "2023-11-08", "url"),
    ("2023-11-09T01:49:09Z", "UTC", "https://x.example/2023/11/06/vote/", None,
     "2023-11-09T01:49:09+00:00", "UTC"),  # two days apart: not the same story's day
    ("2023-11-08 21:49", "America/New_York", "https://x.example/2023/11/09/vote/", None,
     "2023-11-08T21:49:00-05:00", "America/New_York"),  # a wall time is the site's day already
]


@pytest.mark.parametrize("raw,tz,url,printed,local,zone", LOCAL_CASES)
def test_parse_local_keeps_the_sites_day(raw, tz, url, printed, local, zone):
    stated = parse_local(raw, timezone=tz, url=url, printed=printed, now=NOW)
    assert (stated.local, stated.zone) == (local, zone)
    assert stated.utc == parse_datetime(raw, timezone=tz, now=NOW)
    assert stated.day.isoformat() == local[:10]


def test_parse_local_rejects_what_parse_datetime_rejects():
    assert parse_local("", now=NOW) is None
    assert parse_local("2027-01-01T00:00:00+09:00", now=NOW) is None
    assert parse_local("not a date", url="https://x.example/2023/11/08/a/", now=NOW) is None


def test_to_utc_rejects_unknown_zone():
    with pytest.raises(ValueError):
        to_utc(datetime(2023, 1, 1), "Mars/Olympus")


@pytest.mark.parametrize("url,expected", [
    ("https://iranfreedom.org/en/news/2023/07/a-slug/47843/", "2023-07"),
    ("https://example.org/2021/03/14/slug/", "2021-03-14"),
    ("https://example.org/2023/7/4/slug", "2023-07-04"),
    ("https://example.org/news/2024/02/29/leap-day", "2024-02-29"),
    ("https://example.org/2021/02/30/slug/", None),
    ("https://example.org/2023/13/01/slug/", None),
    ("https://example.org/1850/03/14/slug/", None),
    ("https://example.org/1989/03/14/slug/", None),
    ("https://example.org/news/slug-2021/", None),
    ("https://example.org/news/123456/", None),
])
def test_date_from_url(url, expected):
    assert date_from_url(url) == expected


def test_results_do_not_depend_on_the_machine_time_zone():
    values = ["2023-07-14 09:30", "March 14, 2021", "۲۳ تیر ۱۴۰۲ - ۱۴:۳۰", "14.03.2021 10:00",
              "12 juillet 2023 à 14h30", "July 3, 2022 10:15 am EDT", "3 July 2022, 14:05 +0200",
              "14 марта 2021 г., 10:00"]
    code = ("import json, sys; from ingest.dates import parse_datetime as p;"
            "print(json.dumps([str(p(v, timezone='Asia/Tehran')) for v in json.loads(sys.argv[1])]))")
    outputs = {}
    for tz in ("UTC", "Asia/Tehran", "America/New_York"):
        env = {**os.environ, "TZ": tz}
        run = subprocess.run([sys.executable, "-c", code, json.dumps(values)], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True)
        outputs[tz] = json.loads(run.stdout)
    assert outputs["UTC"] == outputs["Asia/Tehran"] == outputs["America/New_York"]
    assert outputs["UTC"] == [
        "2023-07-14 06:00:00+00:00", "2021-03-13 20:30:00+00:00", "2023-07-14 11:00:00+00:00",
        "2021-03-14 06:30:00+00:00", "2023-07-12 11:00:00+00:00", "2022-07-03 14:15:00+00:00",
        "2022-07-03 12:05:00+00:00", "2021-03-14 06:30:00+00:00",
    ]


def test_every_case_gives_the_same_instant_under_any_machine_time_zone(figure):
    """All the cases above, run in processes whose TZ is UTC and Asia/Tehran: each gives
    its exact instant under both, 0 differences."""
    code = ("import json, sys; from datetime import datetime, timezone; from ingest.dates import parse_datetime as p;"
            "now = datetime(2026, 1, 1, tzinfo=timezone.utc);"
            "print(json.dumps([str(p(r, timezone=t, languages=l, now=now).isoformat()) "
            "for r, t, l in json.loads(sys.argv[1])]))")
    cases = json.dumps([[raw, tz, languages] for raw, tz, languages, _ in CASES])
    outputs = {}
    for machine_tz in ("UTC", "Asia/Tehran"):
        run = subprocess.run([sys.executable, "-c", code, cases], env={**os.environ, "TZ": machine_tz},
                             cwd=ROOT, capture_output=True, text=True, check=True)
        outputs[machine_tz] = json.loads(run.stdout)
    expected = [case[3] for case in CASES]
    assert len(CASES) >= 60
    assert outputs["UTC"] == expected
    assert outputs["Asia/Tehran"] == expected
    figure(f"dates under TZ=UTC and TZ=Asia/Tehran: {len(CASES)}/{len(CASES)} exact, 0 differences")


@pytest.mark.parametrize("year", [1300, 1354, 1375, 1399, 1403, 1404, 1433, 1474, 1475, 1500])
def test_nowruz_table_agrees_with_the_astronomical_calendar(year):
    """The table of 1 Farvardin dates is what convertdate works out, across the shifts of
    its leap years (1403/1404, 1474/1475 where 2100 is no Gregorian leap year)."""
    from convertdate import persian

    from ingest.dates import _nowruz

    assert _nowruz(year).timetuple()[:3] == persian.to_gregorian(year, 1, 1)


def test_jalali_dates_outside_the_table_still_convert():
    from ingest.dates import _nowruz

    assert _nowruz(1299).isoformat() == "1920-03-21"


def test_a_date_read_again_gives_the_answer_for_its_own_hints():
    """Readings are remembered by text, language hints and zone: the same text read with
    other hints, in either order, gets the answer those hints give."""
    for order in (("fa", "en"), ("en", "fa")):
        read = {hint: parse_local("1402/05/10", languages=[hint]) for hint in order}
        assert read["fa"] is not None and read["fa"].local == "2023-08-01T00:00:00+00:00"
        assert read["en"] is None
    first = parse_local("March 5, 2021 10:00", timezone="Asia/Tehran")
    again = parse_local("March 5, 2021 10:00", timezone="UTC")
    assert (first.local, again.local) == ("2021-03-05T10:00:00+03:30", "2021-03-05T10:00:00+00:00")


ENGLISH_DATES = [f"{month} {day}{sep}{year}{clock}"
                 for month in ("January", "Jan.", "FEB", "Sept", "Sept.", "May", "Mar", "Juni", "Maya")
                 for day, sep in (("5", ", "), ("22nd", " "), ("31", ", "), ("29", " "), ("0", ", "))
                 for year in ("2008", "2024")
                 for clock in ("", " 10:30", ", 12:15 AM", " | 12:15 pm", " at 1:07 p.m.", " 23:59:59",
                               " 13:00 pm", ", 24:00", " 10:30 EST", " 6:45pm PDT", ", 13:59 GMT",
                               " 10:00 NPT", " 10:00 XYZ", " 10:00 est", " 7:60")]
ENGLISH_DATES += [f"{day} {month} {year}" for day in ("1", "31") for month in ("March", "Apr", "sept.")
                  for year in ("2011", "2023")]


def test_english_dates_are_read_as_dateparser_reads_them(monkeypatch):
    """Dates with an English month name are read without dateparser, to the same datetime
    (or left to it: zones, impossible dates and clocks, other words)."""
    from ingest import dates

    quick = [dates._parse_words.__wrapped__(text, ()) for text in ENGLISH_DATES]
    taken = sum(dates._english_date(text) is not None for text in ENGLISH_DATES)
    monkeypatch.setattr(dates, "_english_date", lambda text: None)
    slow = [dates._parse_words.__wrapped__(text, ()) for text in ENGLISH_DATES]
    assert quick == slow
    assert [d.utcoffset() if d else None for d in quick] == [d.utcoffset() if d else None for d in slow]
    assert taken > len(ENGLISH_DATES) / 4  # the rest: impossible days, clocks, zones, not English


def test_english_dates_read_without_dateparser():
    from ingest.dates import _english_date

    assert _english_date("Nov. 2, 2023, 9:12 a.m.") == datetime(2023, 11, 2, 9, 12)
    assert _english_date("Sept 5th, 2008 | 12:15 AM") == datetime(2008, 9, 5, 0, 15)
    assert _english_date("20 September 2011") == datetime(2011, 9, 20)
    assert _english_date("Feb 30, 2024") is None
    stated = _english_date("Fri Jan 11, 2008 6:45pm EST".removeprefix("Fri "))
    assert (stated, stated.utcoffset()) == (datetime(2008, 1, 11, 23, 45, tzinfo=timezone.utc), timedelta(hours=-5))
    assert _english_date("March 5, 2008 10:30 XYZ") is None  # a zone dateparser does not know
    assert _english_date("5 mars 2008") is None
    assert parse_datetime("By Tara Culp-Ressler on Aug 9, 2012 at 1:15 pm", timezone="America/New_York") == \
        datetime(2012, 8, 9, 17, 15, tzinfo=timezone.utc)
