"""Cron expressions of the Dune stand-in (test/dune_server.py), just enough to check
the interval rule of an upsert: 5 fields, runs at least 15 minutes and at most a week
apart over the next CRON_DAYS days."""

import datetime

MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DAYS = "SUN MON TUE WED THU FRI SAT".split()
CRON_FIELDS = ((0, 59, None, 0), (0, 23, None, 0), (1, 31, None, 0),
               (1, 12, MONTHS, 1), (0, 7, DAYS, 0))
CRON_DAYS = 800  # two years: every yearly gap shows
WEEK_MINUTES = 7 * 24 * 60
TOO_OFTEN = "runs must be at least 15 minutes apart"


def cron_value(text, names, base):
    """One cron number or name."""
    if names and text.upper() in names:
        return names.index(text.upper()) + base
    if not text.isdigit():
        raise ValueError("bad value %r" % text)
    return int(text)


def cron_field(text, lo, hi, names, base):
    """The set of values a cron field allows."""
    values = set()
    for part in text.split(","):
        rng, slash, step = part.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            raise ValueError("bad step in %r" % part)
        step = int(step) if slash else 1
        if rng == "*":
            first, last = lo, hi
        elif "-" in rng:
            first, last = (cron_value(v, names, base) for v in rng.split("-", 1))
        else:
            first = cron_value(rng, names, base)
            last = hi if slash else first
        if not lo <= first <= last <= hi:
            raise ValueError("value out of range in %r" % part)
        values.update(range(first, last + 1, step))
    return values


def cron_fires(expr, day0):
    """Fire times (minutes since day0 00:00 UTC) over CRON_DAYS days."""
    fields = expr.split(" ")
    if len(fields) != 5 or not all(fields):
        raise ValueError("need 5 space-separated fields")
    minute, hour, dom, month, dow = (cron_field(f, *spec)
                                     for f, spec in zip(fields, CRON_FIELDS))
    if 7 in dow:
        dow.add(0)
    either = not fields[2].startswith("*") and not fields[4].startswith("*")
    times = sorted(h * 60 + m for h in hour for m in minute)
    if any(b - a < 15 for a, b in zip(times, times[1:])):
        raise ValueError(TOO_OFTEN)
    fires = []
    for i in range(CRON_DAYS):
        day = day0 + datetime.timedelta(days=i)
        dom_ok, dow_ok = day.day in dom, day.isoweekday() % 7 in dow
        if day.month in month and ((dom_ok or dow_ok) if either else (dom_ok and dow_ok)):
            fires.extend(i * 1440 + t for t in times)
    return fires


def cron_next_run(expr, now):
    """Next run after now (datetime, UTC); ValueError when expr is refused."""
    day0 = datetime.datetime.combine(now.date(), datetime.time(), datetime.timezone.utc)
    fires = cron_fires(expr, day0.date())
    gaps = [b - a for a, b in zip(fires, fires[1:])]
    if not gaps or max(gaps) > WEEK_MINUTES:
        raise ValueError("runs must be at most one week apart")
    if min(gaps) < 15:
        raise ValueError(TOO_OFTEN)
    now_minute = (now - day0).total_seconds() / 60
    nxt = next(f for f in fires if f > now_minute)
    return day0 + datetime.timedelta(minutes=nxt)
