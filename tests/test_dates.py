import subprocess
import sys
from datetime import datetime, timezone

import pytest

from ingest.dates import date_from_url, parse_datetime, to_utc

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw,tz,languages,expected", [
    ("2023-07-14T09:30:00+03:30", "UTC", None, "2023-07-14T06:00:00+00:00"),
    ("2023-07-14T06:00:00Z", "Asia/Tehran", None, "2023-07-14T06:00:00+00:00"),
    ("2023-07-14T09:30:00.123+03:30", "UTC", None, "2023-07-14T06:00:00.123000+00:00"),
    ("2023-07-14 09:30:00", "Asia/Tehran", None, "2023-07-14T06:00:00+00:00"),
    ("2021-06-01 12:00", "Asia/Tehran", None, "2021-06-01T07:30:00+00:00"),  # Iran DST (+04:30) until 2022
    ("2023-07-14", "Asia/Tehran", None, "2023-07-13T20:30:00+00:00"),
    ("Fri, 14 Jul 2023 09:30:00 +0330", "UTC", None, "2023-07-14T06:00:00+00:00"),
    ("2023-03-12T02:30:00", "America/New_York", None, "2023-03-12T07:30:00+00:00"),  # DST gap
    ("2023-11-05 01:30", "America/New_York", None, "2023-11-05T05:30:00+00:00"),  # fold: first
    ("2023-07-14 12:00", "Europe/Paris", None, "2023-07-14T10:00:00+00:00"),
    ("2023-01-14 12:00", "Europe/Paris", None, "2023-01-14T11:00:00+00:00"),
    ("14.03.2021", "Europe/Berlin", None, "2021-03-13T23:00:00+00:00"),
    ("March 14, 2021", "Asia/Tehran", None, "2021-03-13T20:30:00+00:00"),
    ("Posted on July 3, 2022 by Jane Roe", "UTC", None, "2022-07-03T00:00:00+00:00"),
    ("July 3, 2022 10:15 am EDT", "UTC", None, "2022-07-03T14:15:00+00:00"),
    ("Updated: 3 July 2022, 14:05 +0200", "UTC", None, "2022-07-03T12:05:00+00:00"),
    ("12 juillet 2023 à 14h30", "Europe/Paris", ["fr"], "2023-07-12T12:30:00+00:00"),
    ("mercredi 12 juillet 2023", "Europe/Paris", None, "2023-07-11T22:00:00+00:00"),
    ("14. März 2021", "Europe/Berlin", ["de"], "2021-03-13T23:00:00+00:00"),
    ("14 de marzo de 2021", "Europe/Madrid", None, "2021-03-13T23:00:00+00:00"),
    ("14 марта 2021", "Europe/Moscow", None, "2021-03-13T21:00:00+00:00"),
    ("١٢ يوليو ٢٠٢٣", "Asia/Riyadh", ["ar"], "2023-07-11T21:00:00+00:00"),
    ("۲۳ تیر ۱۴۰۲", "Asia/Tehran", ["fa"], "2023-07-13T20:30:00+00:00"),
    ("پنجشنبه ۲۳ تیر ۱۴۰۲ - ۱۴:۳۰", "Asia/Tehran", None, "2023-07-14T11:00:00+00:00"),
    ("۱ فروردین ۱۴۰۰", "Asia/Tehran", None, "2021-03-20T20:30:00+00:00"),
    ("۱۴۰۲/۰۴/۲۳", "Asia/Tehran", None, "2023-07-13T20:30:00+00:00"),
    ("2023-07", "UTC", None, "2023-07-01T00:00:00+00:00"),
])
def test_parse_datetime(raw, tz, languages, expected):
    parsed = parse_datetime(raw, timezone=tz, languages=languages, now=NOW)
    assert parsed is not None and parsed.isoformat() == expected


@pytest.mark.parametrize("raw", ["", "   ", "garbage", "no date here", "2099-01-01", "1850-06-01",
                                 "Page 2 of 10"])
def test_rejects(raw):
    assert parse_datetime(raw, now=NOW) is None


def test_future_is_rejected_relative_to_now():
    assert parse_datetime("2026-01-01T23:00:00Z", now=NOW) is not None
    assert parse_datetime("2026-01-03T00:00:00Z", now=NOW) is None


def test_to_utc_rejects_unknown_zone():
    with pytest.raises(ValueError):
        to_utc(datetime(2023, 1, 1), "Mars/Olympus")


@pytest.mark.parametrize("url,expected", [
    ("https://iranfreedom.org/en/news/2023/07/a-slug/47843/", "2023-07"),
    ("https://example.org/2021/03/14/slug/", "2021-03-14"),
    ("https://example.org/2021/02/30/slug/", None),
    ("https://example.org/1850/03/14/slug/", None),
    ("https://example.org/news/slug-2021/", None),
])
def test_date_from_url(url, expected):
    assert date_from_url(url) == expected


def test_results_do_not_depend_on_the_machine_time_zone():
    code = ("from ingest.dates import parse_datetime as p;"
            "print([str(p(v, timezone='Asia/Tehran')) for v in "
            "['2023-07-14 09:30', 'March 14, 2021', '۲۳ تیر ۱۴۰۲', '14.03.2021 10:00']])")
    outputs = {
        tz: subprocess.run([sys.executable, "-c", code], env={"TZ": tz, "PATH": "/usr/bin:/bin"},
                           capture_output=True, text=True, check=True).stdout
        for tz in ("UTC", "Asia/Tehran", "America/New_York")
    }
    assert len(set(outputs.values())) == 1
    assert "2023-07-14 06:00:00+00:00" in outputs["UTC"]
