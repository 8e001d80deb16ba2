"""The seed_demo machinery: a registry of seeders, the context they share, and the helpers
that make believable people (names, 身份证号, phone numbers) and bulk-insert regions.

Each app registers its own seeder from its AppConfig.ready(), so org never imports a later app:

    @register_seeder("stations", order=30)
    def seed_stations(ctx: SeedContext):
        for township in ctx.townships: ...

Seeders run in `order`, inside one transaction, and must be idempotent: look rows up by a
natural key (region code, username, id_number, ...) and create only what is missing.
Randomness comes from `ctx.rng_for(key)`, a generator seeded from a fixed seed and a stable
key, so a second run (or a run at another scale) regenerates exactly the same rows.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from .models import HandlingUnit, Membership, Region, Term, User
from .roles import Role
from .validators import id_checksum

SEED = 20261122
SCALES = ("demo", "province")
# Ages and birth dates are computed against a fixed day, not today, so that the generated
# 身份证号 (which hold the birth date) are the same on every run and the seed stays idempotent.
REFERENCE_DATE = datetime.date(2026, 11, 1)


# --- Registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeder:
    """A registered seeder: `fn(ctx)` runs after every seeder of lower `order`."""

    name: str
    order: int
    fn: Callable[[SeedContext], None]


_SEEDERS: dict[str, Seeder] = {}


def register_seeder(name: str, order: int):
    """Decorator: run `fn(ctx)` as part of seed_demo, after every seeder of lower `order`."""

    def wrap(fn):
        # Keyed by name, so a module imported twice does not run its seeder twice.
        _SEEDERS[name] = Seeder(name=name, order=order, fn=fn)
        return fn

    return wrap


def registered_seeders() -> list[Seeder]:
    """The registered seeders in the order they run."""
    return sorted(_SEEDERS.values(), key=lambda s: (s.order, s.name))


# --- Context ---------------------------------------------------------------------------


@dataclass
class Account:
    """One line of the account table printed at the end."""

    username: str
    role: str
    region: str


@dataclass
class TownshipInfo:
    """What the org seeder knows about a township beyond its Region row."""

    population: int
    slug: str = ""  # ASCII name part for demo usernames (clerk_<slug>); empty if no accounts


@dataclass
class SeedContext:
    """What every seeder receives: options, randomness, output, and what earlier seeders built.

    The org seeder fills `province`, `county` (the demo county whose accounts are printed),
    `counties`, `townships`, `villages`, `township_info` and `terms`; later seeders read them
    and may leave their own things in `shared` for seeders after them.
    """

    scale: str = "demo"
    password: str = ""
    password_hash: str = ""
    options: dict = field(default_factory=dict)
    log_fn: Callable[[str], None] | None = None
    # Fixed-seed randomness for choices that need not come out the same at another scale;
    # anything a second run must find again (keys, names in keys) should use rng_for().
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))

    province: Region | None = None
    county: Region | None = None
    counties: list[Region] = field(default_factory=list)
    townships: list[Region] = field(default_factory=list)
    # township id -> its villages/communities, in code order
    villages: dict[int, list[Region]] = field(default_factory=dict)
    township_info: dict[int, TownshipInfo] = field(default_factory=dict)
    # county id -> {"township_current", "township_previous", "county_current"} -> Term
    terms: dict[int, dict[str, Term]] = field(default_factory=dict)
    accounts: list[Account] = field(default_factory=list)
    shared: dict = field(default_factory=dict)

    def log(self, msg: str) -> None:
        """Report progress (the command's stdout, unless run with -v0)."""
        if self.log_fn is not None:
            self.log_fn(msg)

    def rng_for(self, *key) -> random.Random:
        """A generator for one stable key (e.g. a township code): the same numbers on every
        run, whatever else was generated before, so runs at different scales agree."""
        # A str seed is hashed with SHA-512, not hash(), so it is stable across processes.
        return random.Random(":".join([str(SEED), *map(str, key)]))

    def townships_of(self, county: Region) -> list[Region]:
        """The seeded townships/subdistricts of one county, in code order."""
        return [t for t in self.townships if t.parent_id == county.pk]

    def ensure_account(
        self,
        username: str,
        *,
        name: str,
        role: str,
        region: Region,
        handling_unit: HandlingUnit | None = None,
        superuser: bool = False,
        phone: str = "",
    ) -> User:
        """The demo user `username` holding `role` in `region`, created if missing. An existing
        user keeps its data and only gets the demo password back (so a second run resets
        passwords and creates nothing)."""
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                name=name,
                phone=phone,
                is_staff=superuser,
                is_superuser=superuser,
                must_change_password=False,
            )
            # One hash for every demo account: hashing is deliberately slow (PBKDF2), and all
            # demo accounts share the one password printed in the table anyway.
            user.password = self.password_hash
            user.save()
        else:
            # A queryset update: no second PBKDF2 run, no audit noise for a password reset.
            User.objects.filter(pk=user.pk).update(
                password=self.password_hash, must_change_password=False, is_active=True
            )
        Membership.objects.get_or_create(user=user, region=region, role=role, handling_unit=handling_unit)
        self.accounts.append(Account(username=username, role=Role(role).label, region=region.name))
        return user


# --- People ------------------------------------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    """A tuple of the space-separated words of `text` (keeps long name pools readable)."""
    return tuple(text.split())


# The commonest surnames with their approximate share of the population in percent (公安部
# 2020 household register ranking); the weights keep 王/李/张/刘 as common as they really are.
SURNAMES = (
    ("王", 7.12), ("李", 7.00), ("张", 6.50), ("刘", 5.30), ("陈", 4.61), ("杨", 3.08),
    ("黄", 2.22), ("赵", 2.06), ("吴", 2.03), ("周", 1.91), ("徐", 1.45), ("孙", 1.38),
    ("马", 1.29), ("朱", 1.26), ("胡", 1.17), ("郭", 1.15), ("何", 1.06), ("高", 1.01),
    ("林", 1.00), ("罗", 0.95), ("郑", 0.90), ("梁", 0.85), ("谢", 0.78), ("宋", 0.74),
    ("唐", 0.72), ("许", 0.68), ("韩", 0.66), ("冯", 0.64), ("邓", 0.63), ("曹", 0.60),
    ("彭", 0.56), ("曾", 0.55), ("肖", 0.54), ("田", 0.52), ("董", 0.51), ("袁", 0.49),
    ("潘", 0.46), ("于", 0.45), ("蒋", 0.44), ("蔡", 0.43), ("余", 0.42), ("杜", 0.41),
    ("叶", 0.40), ("程", 0.39), ("苏", 0.38), ("魏", 0.37), ("吕", 0.36), ("丁", 0.35),
    ("任", 0.34), ("沈", 0.33), ("姚", 0.32), ("卢", 0.31), ("姜", 0.30), ("崔", 0.30),
    ("钟", 0.29), ("谭", 0.28), ("陆", 0.27), ("汪", 0.26), ("范", 0.26), ("金", 0.25),
    ("石", 0.25), ("廖", 0.24), ("贾", 0.24), ("夏", 0.23), ("韦", 0.23), ("付", 0.22),
    ("方", 0.22), ("白", 0.21), ("邹", 0.21), ("孟", 0.20), ("熊", 0.20), ("秦", 0.19),
    ("邱", 0.19), ("江", 0.19), ("尹", 0.18), ("薛", 0.18), ("闫", 0.17), ("段", 0.17),
    ("雷", 0.17), ("侯", 0.16), ("龙", 0.16), ("史", 0.16), ("陶", 0.15), ("黎", 0.15),
    ("贺", 0.15), ("顾", 0.14), ("毛", 0.14), ("郝", 0.14), ("龚", 0.13), ("邵", 0.13),
    ("万", 0.13), ("钱", 0.12), ("严", 0.12), ("武", 0.12), ("戴", 0.11), ("孔", 0.11),
    ("欧阳", 0.03), ("司马", 0.01), ("上官", 0.01),
)  # fmt: skip
_SURNAME_CHARS = [s for s, _ in SURNAMES]
_SURNAME_CUM = list(itertools.accumulate(w for _, w in SURNAMES))

# Given names by generation: names that were common for people born before about 1972
# (建国, 秀英) differ from those of people born after about 1988 (浩然, 欣怡); single-character
# given names were most popular in between.
_GIVEN = {
    ("M", "old"): "建国 建军 建华 国强 志强 志刚 永刚 国庆 卫东 振华 建平 春生 金龙 立新 德胜 树林 "
    "连生 宝山 永强 广志 向东 胜利 庆丰 福生 学军 建设 振国 海军 新民 长春 玉林 "
    "军 强 明 刚 平 华 勇 斌 林 忠 利 祥",
    ("M", "mid"): "海涛 晓东 文斌 志明 建新 明辉 小龙 晓明 俊峰 永杰 海龙 红伟 卫华 利军 新华 "
    "东升 志军 金刚 春雷 立军 国华 亚军 云飞 建峰 军涛 伟 磊 军 勇 杰 涛 斌 超 明 辉 "
    "鹏 波 峰 亮 东 海 江 彬 锋 军",
    ("M", "young"): "俊杰 浩然 宇航 博文 天宇 一鸣 嘉豪 振宇 鹏飞 晓飞 佳伟 亚东 少杰 文涛 建宇 "
    "家乐 思远 文博 泽宇 浩 宇 鑫 凯 帆 帅 旭 晨 阳 昊 博 鹏 磊 超 琦 瑞 森 硕",
    ("F", "old"): "秀英 桂英 玉兰 秀兰 桂兰 淑珍 秀珍 凤英 玉珍 春梅 红梅 丽华 玉梅 素芬 "
    "秀芳 桂芝 淑英 金凤 凤兰 玉芳 建英 秀云 冬梅 秋菊 芳 红 英 霞 兰 梅 萍",
    ("F", "mid"): "丽娟 海燕 晓燕 美玲 晓丽 丽娜 艳红 亚楠 彩霞 春霞 丽萍 雪梅 晓静 艳玲 "
    "红霞 小红 晓红 丽丽 慧敏 静 丽 艳 娟 敏 燕 玲 娜 霞 芳 莉 颖 洁 婷",
    ("F", "young"): "文静 雅琪 欣怡 梦瑶 思雨 佳怡 佳琪 梦琪 晓雪 雅婷 欣然 婷婷 丹丹 静怡 佳慧 "
    "晓琳 婷 雪 慧 琳 颖 倩 蕾 璐 丹 菲 悦 佳 洁 怡 瑶",
}
# How often each generation got a one-character given name.
_SINGLE_SHARE = {"old": 0.25, "mid": 0.4, "young": 0.2}
GIVEN_NAMES = {key: words(text) for key, text in _GIVEN.items()}
_GIVEN_BY_LENGTH = {
    (key, single): tuple(n for n in names if (len(n) == 1) == single)
    for key, names in GIVEN_NAMES.items()
    for single in (True, False)
}


def surname(rng: random.Random) -> str:
    """A surname drawn with its real-world weight."""
    x = rng.random() * _SURNAME_CUM[-1]
    return _SURNAME_CHARS[bisect.bisect_right(_SURNAME_CUM, x)]


def person_name(rng: random.Random, gender: str, birth_year: int | None = None) -> str:
    """A believable Chinese name for a man ("M") or woman ("F"), in the style of the
    generation born in `birth_year` (1 or 2 character given name)."""
    if birth_year is None:
        era = rng.choice(("old", "mid", "young"))
    elif birth_year < 1972:
        era = "old" if rng.random() < 0.7 else "mid"
    elif birth_year < 1988:
        era = "mid" if rng.random() < 0.75 else rng.choice(("old", "young"))
    else:
        era = "young" if rng.random() < 0.7 else "mid"
    single = rng.random() < _SINGLE_SHARE[era]
    return surname(rng) + rng.choice(_GIVEN_BY_LENGTH[((gender, era), single)])


def id_number(
    rng: random.Random, region_prefix: str, birth_date: datetime.date, gender: str, used: set[str] | None = None
) -> str:
    """A valid 18-digit 身份证号: 6-digit region code, birth date, a 3-digit sequence whose
    parity is the gender (odd = male, even = female), and the GB 11643 check character.
    Numbers already in `used` are avoided, and the new one is added to it."""
    if len(region_prefix) != 6 or not region_prefix.isdigit():
        raise ValueError(f"region prefix must be 6 digits: {region_prefix!r}")
    for _ in range(1000):
        # 001..999 for men, 002..998 for women.
        seq = rng.randrange(0, 499) * 2 + (1 if gender == "M" else 2)
        first17 = f"{region_prefix}{birth_date:%Y%m%d}{seq:03d}"
        number = first17 + id_checksum(first17)
        if used is None or number not in used:
            if used is not None:
                used.add(number)
            return number
    raise RuntimeError(f"no free ID number left for {region_prefix} {birth_date}")  # pragma: no cover


def birth_date_for_age(rng: random.Random, age: int, on: datetime.date = REFERENCE_DATE) -> datetime.date:
    """A birth date of someone who is `age` years old on `on`."""
    latest = on.replace(year=on.year - age)
    return latest - datetime.timedelta(days=rng.randrange(0, 365))


# Mobile number blocks of the three carriers (移动 first, as it has the most users, then 联通, 电信).
_PHONE_PREFIXES = words(
    "134 135 136 137 138 139 150 151 152 157 158 159 178 182 183 187 188 198 "
    "130 131 132 155 156 166 175 176 185 186 133 153 173 177 180 181 189 199 191"
)


def phone_number(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


# --- Bulk regions ------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionSpec:
    """A region to exist, keyed by its 12-digit code; its parent is named by code."""

    code: str
    name: str
    kind: str
    parent_code: str | None = None


def _codes_in_db(codes: list[str]) -> dict[str, int]:
    """code -> id of the regions among `codes` that already exist."""
    found = {}
    # Chunks keep each IN list far below SQLite's bound-parameter limit.
    for i in range(0, len(codes), 500):
        found.update(Region.objects.filter(code__in=codes[i : i + 500]).values_list("code", "pk"))
    return found


def bulk_create_regions(specs: Iterable[RegionSpec], batch_size: int = 1000) -> int:
    """Create the regions of `specs` whose code is not in the database yet, without a
    save() per row; returns how many were created. Existing rows are left as they are.

    Region.save() builds `path` from the row's own id, which bulk_create cannot do. So the
    rows go in level by level with an empty path, and one UPDATE per level then copies the
    parent's path and appends the new id (a correlated subquery: SQLite and PostgreSQL)."""
    specs = list(specs)
    by_code = {s.code: s for s in specs}

    def level(spec: RegionSpec) -> int:
        n = 0
        while spec.parent_code in by_code:
            spec = by_code[spec.parent_code]
            n += 1
        return n

    ids = _codes_in_db(list(by_code))
    missing_parents = {s.parent_code for s in specs if s.parent_code and s.parent_code not in by_code}
    ids.update(_codes_in_db(sorted(missing_parents)))
    created = 0
    for _, group in itertools.groupby(sorted(specs, key=level), key=level):
        rows = [
            Region(
                code=s.code,
                name=s.name,
                kind=s.kind,
                parent_id=ids[s.parent_code] if s.parent_code else None,
                path="",
                depth=0,
            )
            for s in group
            if s.code not in ids
        ]
        if not rows:
            continue
        Region.objects.bulk_create(rows, batch_size=batch_size)
        _fill_paths()
        if all(r.pk for r in rows):
            ids.update((r.code, r.pk) for r in rows)
        else:  # a backend that does not return ids from a bulk insert
            ids.update(_codes_in_db([r.code for r in rows]))
        created += len(rows)
    if created:
        # bulk_create sends no post_save: the cached region pickers must be told.
        from .context_processors import bump_regions_version

        bump_regions_version()
    return created


def _fill_paths() -> None:
    """Give rows inserted with an empty path their path and depth, from their parent's."""
    own_id = Cast("pk", output_field=CharField())
    Region.objects.filter(path="", parent__isnull=True).update(
        path=Concat(Value("/"), own_id, Value("/"), output_field=CharField()), depth=0
    )
    parent = Region.objects.filter(pk=OuterRef("parent_id"))
    Region.objects.filter(path="", parent__isnull=False).update(
        path=Concat(Subquery(parent.values("path")[:1]), own_id, Value("/"), output_field=CharField()),
        depth=Subquery(parent.values("depth")[:1]) + 1,
    )
