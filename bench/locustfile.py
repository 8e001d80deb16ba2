"""The load scenario (issue 7, item 2): a working day of the portal, clicked by county staff,
township clerks and deputies at once. bench/load.py runs it against gunicorn; alone:

    .venv/bin/locust -f bench/locustfile.py --host http://127.0.0.1:8000 -u 10 -r 2 -t 30s --headless

Each simulated person logs in once through the real login form and then clicks like a person
(2–8 s between clicks). A request counts as an error when the answer is not 200/302, when it is
one of the portal's Chinese error pages, or when the user finds itself back on the login page.
Requests are named by page ("乡镇 代表详情"), never by URL with ids, so the stats group them.

Only correct passwords are sent: django-axes locks a user name after five failures, and one
lockout would turn every later login of that account into an error. The demo accounts are
seed_demo's (LOAD_PASSWORD overrides the password)."""

from __future__ import annotations

import datetime
import os
import random
import re
from html.parser import HTMLParser

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "Demo#2026renda")

COUNTY_ACCOUNTS = ["county_admin"]
CLERK_ACCOUNTS = [
    "clerk_qingquan", "clerk_yinhe", "clerk_chengguan", "clerk_wangguanzhuang", "clerk_matun", "clerk_liulin",
    "clerk_gaozhuang", "clerk_yangjiaying", "clerk_beixindian", "clerk_nancao", "clerk_menglou", "clerk_dadikou",
]  # fmt: skip
DEPUTY_ACCOUNTS = ["deputy_chengguan_1", "deputy_chengguan_2", "deputy_matun_1"]

# The message of each error page (templates/403.html, 403_csrf.html, 404.html, 500.html): a
# page that carries one is an error even when a view answered it with 200.
ERROR_TEXTS = (
    "服务器处理请求时出错",
    "您要找的页面或记录不存在",
    "您的账号没有访问此页面的权限",
    "页面已过期，请返回刷新后重新提交",
)
LOGIN_PATH = "/login/"
DEPUTY_LINK = re.compile(r'href="/deputies/(\d+)/"')

# What voters raise at a reception, and what deputies suggest: plausible text, so that the
# rows the load adds read like the rest.
ISSUES = [
    ("村口道路坑洼，雨天积水严重，希望尽快修补。", "roads"),
    ("小区路灯损坏多日无人维修。", "other"),
    ("希望增加村卫生室的坐诊时间。", "health"),
    ("农田灌溉渠堵塞，影响春灌。", "water"),
    ("学校门口上下学时段交通拥堵，建议设置护学岗。", "education"),
    ("垃圾清运不及时，夏天气味大。", "environment"),
]
SUGGESTIONS = [
    ("关于加快农村公路养护的建议", "建议将村道养护纳入年度预算，明确养护责任单位和考核办法。"),
    ("关于改善农村饮水安全的建议", "部分村庄自来水水压不足，建议对老旧管网分批改造。"),
    ("关于增设老年人日间照料中心的建议", "建议在人口较多的村设立日间照料中心，解决留守老人照护问题。"),
]


class FormParser(HTMLParser):
    """The POST forms of a page with their fields, as a browser would submit them. Only what
    the scenario needs: inputs, checkboxes/radios, selects, textareas."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "fields": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("name"):
            fields.append(
                {
                    "tag": "input",
                    "type": (a.get("type") or "text").lower(),
                    "name": a["name"],
                    "value": a.get("value") or "",
                    "checked": "checked" in a,
                }
            )
        elif tag == "select" and a.get("name"):
            self._select = {"tag": "select", "name": a["name"], "options": [], "selected": None}
            fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            self._select["options"].append(value)
            if "selected" in a:
                self._select["selected"] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"tag": "textarea", "name": a["name"], "value": ""}
            fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def find_form(html: str, field: str) -> dict | None:
    """The form holding `field` (the page also has the top bar's logout form)."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if any(f["name"] == field for f in form["fields"]):
            return form
    return None


def form_data(form: dict) -> dict[str, list[str]]:
    """What the browser would send untouched: hidden and text values, checked boxes, the
    selected option (the first one when none is marked), textareas."""
    data: dict[str, list[str]] = {}
    for f in form["fields"]:
        if f["tag"] == "input":
            if f["type"] in ("submit", "button", "file", "image", "reset"):
                continue
            if f["type"] in ("checkbox", "radio") and not f["checked"]:
                continue
            data.setdefault(f["name"], []).append(f["value"])
        elif f["tag"] == "select":
            chosen = f["selected"] if f["selected"] is not None else (f["options"][0] if f["options"] else "")
            data.setdefault(f["name"], []).append(chosen)
        else:
            data.setdefault(f["name"], []).append(f["value"].lstrip("\n"))
    return data


def choices(form: dict, name: str) -> list[str]:
    """The non-empty values offered for `name`: a select's options or the boxes' values."""
    values = []
    for f in form["fields"]:
        if f["name"] != name:
            continue
        if f["tag"] == "select":
            values += [v for v in f["options"] if v]
        elif f["tag"] == "input" and f["type"] in ("checkbox", "radio") and f["value"]:
            values.append(f["value"])
    return values


class PortalUser(HttpUser):
    """One person of a role: logs in once, then clicks. Subclasses name the accounts and the
    role's label that prefixes each page name."""

    abstract = True
    wait_time = between(2, 8)
    accounts: list[str] = []
    label = ""

    def on_start(self):
        self.username = random.choice(self.accounts)
        self.deputy_ids: list[str] = []
        self.login()

    # --- requests ---------------------------------------------------------------------

    def name(self, page: str) -> str:
        return f"{self.label} {page}"

    def check(self, response, *, expect_redirect=False, login_page=False) -> bool:
        """Mark the request failed (with the reason locust lists) unless it is a good answer."""
        if response.status_code not in (200, 302):
            response.failure(f"HTTP {response.status_code}")
            return False
        if response.status_code == 302:
            target = response.headers.get("Location", "")
            if target.startswith(LOGIN_PATH) or "/login/?" in target:
                response.failure("被重定向到登录页（会话丢失）")
                return False
            response.success()
            return True
        if expect_redirect:
            # A form answered with itself: the portal refused what was typed.
            response.failure("表单未通过校验：" + first_error(response.text))
            return False
        if not login_page and response.url and response.url.split("?")[0].endswith(LOGIN_PATH):
            response.failure("被重定向到登录页（会话丢失）")
            return False
        text = response.text
        for marker in ERROR_TEXTS:
            if marker in text:
                response.failure(f"错误页：{marker}")
                return False
        response.success()
        return True

    def get(self, url: str, page: str, **params) -> str | None:
        """GET a page (following redirects like a browser); its HTML, or None when it failed."""
        with self.client.get(url, params=params or None, name=self.name(page), catch_response=True) as r:
            return r.text if self.check(r, login_page=url == LOGIN_PATH) else None

    def post_form(self, url: str, page: str, data) -> bool:
        """POST a form; a good answer is the redirect a saved form gives (not followed: the
        next page is a click of its own)."""
        with self.client.post(url, data=data, name=self.name(page), allow_redirects=False, catch_response=True) as r:
            return self.check(r, expect_redirect=True)

    def login(self):
        html = self.get(LOGIN_PATH, "登录页")
        if html is None:
            return
        form = find_form(html, "username")
        data = form_data(form) if form else {}
        data.update(username=[self.username], password=[PASSWORD])
        self.post_form(LOGIN_PATH, "登录", data)

    # --- pages shared by the staff roles ----------------------------------------------

    def home(self):
        self.get("/", "首页")

    def roster(self, **params):
        html = self.get("/deputies/", "花名册（筛选）" if params else "花名册", **params)
        if html:
            self.deputy_ids = DEPUTY_LINK.findall(html) or self.deputy_ids
        return html

    def deputy_file(self):
        """A deputy's duty file, picked from the roster as a person would."""
        if not self.deputy_ids:
            self.roster()
        if self.deputy_ids:
            self.get(f"/deputies/{random.choice(self.deputy_ids)}/", "代表履职档案")

    def suggestions(self):
        self.get("/congress/suggestions/", "建议列表")


class CountyStaff(PortalUser):
    """县人大代表工委: the overview pages over every township."""

    weight = 2
    accounts = COUNTY_ACCOUNTS
    label = "县"

    def on_start(self):
        self.township_ids: list[str] = []
        super().on_start()

    @task(3)
    def home_page(self):
        self.home()

    @task(3)
    def dashboard(self):
        self.get("/assessments/dashboard/", "考核看板")

    @task(3)
    def roster_filtered(self):
        if not self.township_ids:
            html = self.roster()
            # The roster's own filter form (a GET form) offers the townships to pick from.
            form = find_form(html, "region") if html else None
            self.township_ids = choices(form, "region") if form else []
            return
        self.roster(region=random.choice(self.township_ids), status="serving")

    @task(2)
    def suggestion_list(self):
        self.suggestions()

    @task(2)
    def duty_file(self):
        self.deputy_file()

    @task(2)
    def compliance(self):
        self.get("/stations/compliance/", "合规提醒")


class TownshipClerk(PortalUser):
    """乡镇人大秘书: the township's own pages, and a reception recorded now and then."""

    weight = 6
    accounts = CLERK_ACCOUNTS
    label = "乡镇"

    @task(3)
    def home_page(self):
        self.home()

    @task(3)
    def roster_page(self):
        self.roster()

    @task(2)
    def duty_file(self):
        self.deputy_file()

    @task(3)
    def receptions(self):
        self.get("/stations/receptions/", "接待列表")

    @task(1)
    def record_reception(self):
        """登记接待选民 through the real form: a room, one or two deputies on duty, one matter
        raised, answered on the spot or referred to a unit."""
        html = self.get("/stations/receptions/new/", "登记接待（表单）")
        if html is None:
            return
        form = find_form(html, "station")
        stations, deputies = (choices(form, "station"), choices(form, "deputies")) if form else ([], [])
        if not stations or not deputies:
            return  # nothing to record with (a township without rooms): not the portal's fault
        content, category = random.choice(ISSUES)
        units = choices(form, "issues-0-handling_unit")
        data = form_data(form)
        data.update(
            {
                "station": [random.choice(stations)],
                # The form's own default (the server's today, Asia/Shanghai), else ours.
                "date": [d for d in data.get("date", []) if d] or [datetime.date.today().isoformat()],
                "deputies": random.sample(deputies, k=min(len(deputies), random.randint(1, 2))),
                "voter_count": [str(random.randint(1, 12))],
                "summary": ["接待日选民来访，代表逐一记录并答复。"],
                "issues-TOTAL_FORMS": ["1"],
                "issues-0-content": [content],
                "issues-0-category": [category],
                "issues-0-voter_name": ["张先生"],
                "issues-0-voter_phone": ["13800001234"],
            }
        )
        if units and random.random() < 0.5:
            data.update({"issues-0-disposition": ["refer"], "issues-0-handling_unit": [random.choice(units)]})
        else:
            data.update({"issues-0-disposition": ["on_spot"], "issues-0-answer": ["已当场解释相关政策。"]})
        self.post_form("/stations/receptions/new/", "登记接待（提交）", data)

    @task(2)
    def suggestion_list(self):
        self.suggestions()

    @task(2)
    def meetings(self):
        self.get("/congress/meetings/", "会议列表")


class Deputy(PortalUser):
    """人大代表 on the online duty platform: its own file, points and suggestions."""

    weight = 2
    accounts = DEPUTY_ACCOUNTS
    label = "代表"

    @task(3)
    def my_duty_file(self):
        self.get("/deputies/me/", "我的履职档案")

    @task(2)
    def my_points(self):
        self.get("/assessments/points/mine/", "我的积分")

    @task(2)
    def my_suggestions(self):
        self.get("/congress/suggestions/mine/", "我的建议")

    @task(1)
    def draft_suggestion(self):
        html = self.get("/congress/suggestions/new/", "起草建议（表单）")
        form = find_form(html, "title") if html else None
        if form is None:
            return
        title, content = random.choice(SUGGESTIONS)
        data = form_data(form)
        data.update(title=[title], content=[content])
        data.pop("is_motion", None)
        self.post_form("/congress/suggestions/new/", "起草建议（提交）", data)


def first_error(html: str) -> str:
    """The first error a re-rendered form shows (a field's invalid-feedback, or the alert of
    the form's own errors), for the failure list."""
    for pattern in (
        r'class="invalid-feedback[^"]*"[^>]*>\s*(?:<strong>)?([^<]{1,120})',
        r'class="[^"]*alert-danger[^"]*"[^>]*>\s*(?:<ul[^>]*>\s*<li>)?([^<]{1,120})',
    ):
        found = re.search(pattern, html)
        if found and found.group(1).strip():
            return found.group(1).strip()
    return "（页面未显示错误）"
