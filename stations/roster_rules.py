"""Reception-day rules (接待日) as clerks write them in a room's record, read into dates.

Understood, after full-width characters are made half-width and spaces, the word 的 and
bracketed remarks ("（遇节假日顺延）") are dropped:

- 每月第二个星期二 · 每月第2个周二 · 每月第二周周二 · 每月第一、三个星期四 ·
  每月第一个和第三个星期四 · 每月第二个星期二、第四个星期五
- 每月最后一个星期五 · 每月倒数第一个周五
- 每月第五个星期二: a month without a fifth Tuesday has no reception day that month
- 每周三 · 每周一、周四 · 每周二和周五 · 每周一至周五 · 每星期三
- 每月5日 · 每月15号 · 每月5日、20日 · 每月5、20日 · 每月十五日: a month without the
  day (31日 in April) has none
- 每月逢5 (the 5th, 15th and 25th) · 每月逢五、逢十
- 每月最后一天 · 每月月底
- clauses joined by ；or ，are combined: "每月5日；每周三"
- a time range anywhere ("9:00—11:30", "下午2:30-5:00", "9点至11点半") is read as the hours.

Anything else is a ValueError whose Chinese message lists the forms above. Pure functions:
no database, no settings.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from dataclasses import dataclass, field

WEEKDAY_NAMES = "一二三四五六日"
_WEEKDAY = {**{c: i for i, c in enumerate(WEEKDAY_NAMES)}, "天": 6, **{str(i + 1): i for i in range(7)}}
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
LAST = -1

HELP = (
    "可识别的写法：每月第二个星期二；每月第2个周二；每月第一、三个星期四；每月最后一个星期五；"
    "每周三；每周一、周四；每周一至周五；每月15日（或15号）；每月5日、20日；每月逢5（即5日、15日、25日）；"
    "每月最后一天。可在后面写时间，如“9:00—11:30”。"
)

_SEP = "[、和及与]"
_NUM = "(?:[0-9]{1,2}|[零一二两三四五六七八九十廿]{1,3})"
_ORD = "(?:第?[1-9一二两三四五六七八九]|最后[1一]?|倒数第?[1一])(?:个|周)?"
_WD = "(?:星期|周|礼拜)[1-7一二三四五六日天]"
_WDLIST = f"{_WD}(?:{_SEP}(?:星期|周|礼拜)?[1-7一二三四五六日天])*"
_GROUP = f"((?:{_ORD})(?:{_SEP}{_ORD})*)(?:个|周)?({_WDLIST})"
_GROUPS = re.compile(f"(?:{_GROUP})(?:{_SEP}(?:{_GROUP}))*")
_GROUP_RE = re.compile(_GROUP)
_DAYS = re.compile(f"{_NUM}(?:日|号)?(?:{_SEP}{_NUM}(?:日|号)?)*")
_FENG = re.compile(f"逢{_NUM}(?:日|号)?(?:{_SEP}逢?{_NUM}(?:日|号)?)*")
_WEEKLY = re.compile("[1-7一二三四五六日天](?:(?:[、和及与]|至|到|-|~|—|–)[1-7一二三四五六日天])*")

_MONTHLY_PREFIXES = ("每个月", "每月")
_WEEKLY_PREFIXES = ("每个星期", "每星期", "每个礼拜", "每礼拜", "每周")
_LAST_DAY = ("最后一天", "最后1天", "月底", "月末", "月最后一天")

_CLOCK = r"(\d{1,2})(?::(\d{2})|点(半|\d{1,2}分?)?|时(\d{1,2}分?)?)"
_TIME_RANGE = re.compile(rf"(上午|下午|晚上|中午)?{_CLOCK}(?:-|~|—|–|至|到)+(上午|下午|晚上|中午)?{_CLOCK}")
_TIME_WORDS = re.compile("上午|下午|晚上|中午|全天|全日")
_REMARKS = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|〔[^〕]*〕")
_LEADING = re.compile("^(?:接待日|接待时间|接待选民日)(?::|为|是|定为|定于|定在)?|^(?:定于|定在|固定在|固定为)")
_TRAILING = re.compile("(?:为|是|作为)?(?:代表)?(?:接待选民日|接待日|接待选民|集中接待|进站接待|接待|值班|开放)$")


@dataclass(frozen=True)
class ReceptionRule:
    """A parsed rule. `monthly` holds (n, weekday) pairs, n = 1..5 or LAST; weekdays and
    `weekly` count Monday as 0; `days` are days of the month; `feng` the last digits of
    逢N (0 for 逢十)."""

    text: str
    monthly: tuple[tuple[int, int], ...] = ()
    weekly: tuple[int, ...] = ()
    days: tuple[int, ...] = ()
    feng: tuple[int, ...] = ()
    last_day: bool = False
    start_time: datetime.time | None = None
    end_time: datetime.time | None = None

    def dates(self, year: int, month: int) -> list[datetime.date]:
        """The reception days of one month, in order."""
        length = calendar.monthrange(year, month)[1]
        found: set[datetime.date] = set()
        for n, weekday in self.monthly:
            day = nth_weekday(year, month, n, weekday)
            if day is not None:
                found.add(day)
        for d in range(1, length + 1):
            day = datetime.date(year, month, d)
            if day.weekday() in self.weekly or d in self.days or (self.feng and d % 10 in self.feng):
                found.add(day)
        if self.last_day:
            found.add(datetime.date(year, month, length))
        return sorted(found)

    def dates_between(self, start: datetime.date, end: datetime.date) -> list[datetime.date]:
        """The reception days from `start` to `end`, both included."""
        out = []
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            out += [d for d in self.dates(year, month) if start <= d <= end]
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


@dataclass
class _Parts:
    monthly: list = field(default_factory=list)
    weekly: set = field(default_factory=set)
    days: set = field(default_factory=set)
    feng: set = field(default_factory=set)
    last_day: bool = False


def nth_weekday(year: int, month: int, n: int, weekday: int) -> datetime.date | None:
    """The n-th (1..5) or last (LAST) `weekday` of a month; None when the month has no such
    day (a fifth Tuesday in most months)."""
    length = calendar.monthrange(year, month)[1]
    if n == LAST:
        last = datetime.date(year, month, length)
        return last - datetime.timedelta(days=(last.weekday() - weekday) % 7)
    first = datetime.date(year, month, 1)
    day = 1 + (weekday - first.weekday()) % 7 + 7 * (n - 1)
    return datetime.date(year, month, day) if day <= length else None


def chinese_number(text: str) -> int:
    """ "15", "十五", "二十", "廿一", "三十一", "两" as an int (0..99)."""
    if text.isdigit():
        return int(text)
    text = text.replace("廿", "二十")
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    match = re.fullmatch("([一二两三四五六七八九])?十([一二三四五六七八九])?", text)
    if match is None:
        raise ValueError(f"无法识别数字“{text}”。")
    tens = _CN_DIGITS[match.group(1)] if match.group(1) else 1
    ones = _CN_DIGITS[match.group(2)] if match.group(2) else 0
    return tens * 10 + ones


def _clock(hour: str, minute: str | None, dian: str | None, shi: str | None, pm: bool) -> datetime.time:
    h = int(hour)
    rest = minute or dian or shi or ""
    m = 30 if rest == "半" else int(rest.rstrip("分") or 0)
    if pm and h < 12:
        h += 12
    if h > 23 or m > 59:
        raise ValueError(f"时间“{hour}:{m:02d}”不正确。")
    return datetime.time(h, m)


def _take_time(text: str) -> tuple[str, datetime.time | None, datetime.time | None]:
    match = _TIME_RANGE.search(text)
    if match is None:
        return text, None, None
    g = match.groups()
    start_pm = g[0] in ("下午", "晚上")
    start = _clock(g[1], g[2], g[3], g[4], start_pm)
    end_pm = g[5] in ("下午", "晚上") or (g[5] is None and start_pm)
    end = _clock(g[6], g[7], g[8], g[9], end_pm)
    if end <= start:
        raise ValueError(f"接待时间的结束时间（{end:%H:%M}）应晚于开始时间（{start:%H:%M}）。")
    return text[: match.start()] + text[match.end() :], start, end


def _normalise(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    t = _REMARKS.sub("", t)
    t = re.sub(r"\s+", "", t).replace("的", "").replace("星期天", "星期日").replace("礼拜天", "礼拜日")
    return t.strip("。.;；,，")


def _weekday(char: str) -> int:
    return _WEEKDAY[char]


def _ordinal(token: str) -> int:
    token = token.rstrip("个周")
    if token.startswith(("最后", "倒数")):
        return LAST
    n = chinese_number(token.lstrip("第"))
    if not 1 <= n <= 5:
        raise ValueError(f"“第{token.lstrip('第')}个”不存在：一个月里同一个星期几最多有五个。")
    return n


def _day(token: str) -> int:
    n = chinese_number(token.rstrip("日号"))
    if not 1 <= n <= 31:
        raise ValueError(f"“{n}日”不存在：日期应在1日至31日之间。")
    return n


def _monthly(body: str, parts: _Parts) -> bool:
    if body in _LAST_DAY:
        parts.last_day = True
        return True
    if _GROUPS.fullmatch(body):
        for group in _GROUP_RE.finditer(body):
            ordinals = [
                _ordinal(t) for t in re.findall(r"最后[1一]?|倒数第?[1一]|第?[1-9一二两三四五六七八九]", group.group(1))
            ]
            weekdays = [
                _weekday(c) for c in re.findall("[1-7一二三四五六日天]", re.sub("星期|周|礼拜", "", group.group(2)))
            ]
            parts.monthly += [(n, w) for n in ordinals for w in weekdays]
        return True
    if _FENG.fullmatch(body):
        for token in re.findall(_NUM, body):
            n = chinese_number(token)
            if not 1 <= n <= 10:
                raise ValueError(f"“逢{token}”应为逢1至逢10（逢5即每月5日、15日、25日）。")
            parts.feng.add(n % 10)
        return True
    if _DAYS.fullmatch(body):
        parts.days.update(_day(token) for token in re.findall(_NUM, body))
        return True
    return False


def _weekly(body: str, parts: _Parts) -> bool:
    body = re.sub("星期|周|礼拜", "", body)
    if body == "末":
        parts.weekly.update((5, 6))
        return True
    if not _WEEKLY.fullmatch(body):
        return False
    tokens = re.findall("[1-7一二三四五六日天]|至|到|-|~|—|–", body)
    i = 0
    while i < len(tokens):
        first = _weekday(tokens[i])
        if i + 2 < len(tokens) and tokens[i + 1] in ("至", "到", "-", "~", "—", "–"):
            last = _weekday(tokens[i + 2])
            if last < first:
                raise ValueError(f"“周{tokens[i]}至周{tokens[i + 2]}”前后颠倒了。")
            parts.weekly.update(range(first, last + 1))
            i += 3
        else:
            parts.weekly.add(first)
            i += 1
    return True


def _clause(clause: str, parts: _Parts) -> bool:
    clause = _LEADING.sub("", clause)
    clause = _TRAILING.sub("", clause)
    for prefix in _MONTHLY_PREFIXES:
        if clause.startswith(prefix):
            return _monthly(clause[len(prefix) :], parts)
    for prefix in _WEEKLY_PREFIXES:
        if clause.startswith(prefix):
            return _weekly(clause[len(prefix) :], parts)
    return False


def _prefix_of(clause: str) -> str:
    for prefix in (*_MONTHLY_PREFIXES, *_WEEKLY_PREFIXES):
        if clause.startswith(prefix):
            return prefix
    return ""


def parse_rule(text: str) -> ReceptionRule:
    """Read a reception-day rule; a ValueError (Chinese, with the forms understood) when the
    text is empty or not one of them."""
    if not text or not text.strip():
        raise ValueError("尚未填写接待日。" + HELP)
    body, start, end = _take_time(_normalise(text))
    body = _TIME_WORDS.sub("", body)
    parts = _Parts()
    prefix = ""
    clauses = [c for c in re.split("[;,]|以及|另外", body) if c]
    if not clauses:
        raise ValueError(f"无法识别接待日“{text.strip()}”。" + HELP)
    for clause in clauses:
        clause = _LEADING.sub("", clause)
        # "每月5日，20日" and "每周一，周四": a clause without 每… continues the one before.
        own = _prefix_of(clause)
        if own:
            prefix = own
        elif prefix:
            clause = prefix + clause
        if not _clause(clause, parts):
            raise ValueError(f"无法识别接待日“{text.strip()}”。" + HELP)
    return ReceptionRule(
        text=text.strip(),
        monthly=tuple(sorted(set(parts.monthly))),
        weekly=tuple(sorted(parts.weekly)),
        days=tuple(sorted(parts.days)),
        feng=tuple(sorted(parts.feng)),
        last_day=parts.last_day,
        start_time=start,
        end_time=end,
    )


def rule_dates(text: str, year: int, month: int) -> list[datetime.date]:
    """The reception days of a month under the rule `text` (ValueError if not understood)."""
    return parse_rule(text).dates(year, month)
