"""factory_boy factories, and the registry the generic scoping test uses to build a row of
any model inside a given township.

A later app adds a factory for each of its models and registers it:

    @scoped_factory(Station)
    class StationFactory(DjangoModelFactory):
        ...
        @classmethod
        def in_township(cls, township): return cls(region=township)
"""

from __future__ import annotations

import datetime
import itertools

import factory
from factory.django import DjangoModelFactory

from deputies.models import Constituency, Deputy, DeputyGroup, Mandate, VoterContact
from org.models import HandlingUnit, Job, Membership, Region, Term, User
from org.roles import Role

SCOPED_FACTORIES: dict[type, type] = {}
PASSWORD = "Portal#Test2026"

_codes = itertools.count(100000)


def scoped_factory(model):
    def wrap(cls):
        SCOPED_FACTORIES[model] = cls
        return cls

    return wrap


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"测试区划{n}")
    kind = Region.Kind.COUNTY
    code = factory.LazyFunction(lambda: str(next(_codes)).zfill(12))

    @classmethod
    def county(cls, **kw):
        return cls(kind=Region.Kind.COUNTY, parent=None, **kw)

    @classmethod
    def township(cls, county, **kw):
        return cls(kind=Region.Kind.TOWNSHIP, parent=county, **kw)

    @classmethod
    def village(cls, township, **kw):
        return cls(kind=Region.Kind.VILLAGE, parent=township, **kw)

    @classmethod
    def in_township(cls, township):
        return cls.village(township)


SCOPED_FACTORIES[Region] = RegionFactory


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(region, role, user=None, handling_unit=None, **user_kw):
    """A user holding `role` in `region`."""
    user = user or UserFactory(**user_kw)
    Membership.objects.create(user=user, region=region, role=role, handling_unit=handling_unit)
    return user


@scoped_factory(Term)
class TermFactory(DjangoModelFactory):
    class Meta:
        model = Term

    number = factory.Sequence(lambda n: 20 + n)
    level = Term.Level.TOWNSHIP
    start_date = datetime.date(2021, 12, 1)
    end_date = datetime.date(2026, 12, 31)

    @classmethod
    def in_township(cls, township):
        return cls(region=township)


@scoped_factory(HandlingUnit)
class HandlingUnitFactory(DjangoModelFactory):
    class Meta:
        model = HandlingUnit

    name = factory.Sequence(lambda n: f"测试承办单位{n}")

    @classmethod
    def in_township(cls, township):
        return cls(region=township)


@scoped_factory(Job)
class JobFactory(DjangoModelFactory):
    class Meta:
        model = Job

    kind = "region_directory"

    @classmethod
    def in_township(cls, township):
        clerk = Membership.objects.filter(region=township, role=Role.TOWNSHIP_CLERK).first()
        return cls(region=township, requested_by=clerk.user if clerk else None)


@scoped_factory(Deputy)
class DeputyFactory(DjangoModelFactory):
    class Meta:
        model = Deputy

    name = factory.Sequence(lambda n: f"代表甲{n}")
    gender = Deputy.Gender.MALE

    @classmethod
    def in_township(cls, township):
        return cls(region=township)


@scoped_factory(Mandate)
class MandateFactory(DjangoModelFactory):
    class Meta:
        model = Mandate

    elected_on = datetime.date(2021, 12, 1)

    @classmethod
    def in_township(cls, township):
        deputy = DeputyFactory(region=township)
        return cls(deputy=deputy, region=township, term=TermFactory(region=township))


@scoped_factory(Constituency)
class ConstituencyFactory(DjangoModelFactory):
    class Meta:
        model = Constituency

    number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"测试选区{n}")

    @classmethod
    def in_township(cls, township):
        return cls(region=township)


@scoped_factory(DeputyGroup)
class DeputyGroupFactory(DjangoModelFactory):
    class Meta:
        model = DeputyGroup

    name = factory.Sequence(lambda n: f"测试代表小组{n}")

    @classmethod
    def in_township(cls, township):
        group = cls(region=township)
        group.members.add(DeputyFactory(region=township))
        return group


@scoped_factory(VoterContact)
class VoterContactFactory(DjangoModelFactory):
    class Meta:
        model = VoterContact

    name = factory.Sequence(lambda n: f"测试选民{n}")
    phone = "13900000000"

    @classmethod
    def in_township(cls, township):
        return cls(deputy=DeputyFactory(region=township))


from deputies.models import ImportBatch  # noqa: E402  (appended with the import feature)


@scoped_factory(ImportBatch)
class ImportBatchFactory(DjangoModelFactory):
    """A checked upload of the roster, as the import preview shows it (no file needed)."""

    class Meta:
        model = ImportBatch

    original_name = factory.Sequence(lambda n: f"代表信息登记表-测试批次{n}.xlsx")
    state = ImportBatch.State.PARSED
    total_rows = 1
    create_count = 1
    rows = factory.LazyFunction(
        lambda: [{"row": 3, "name": "导入测试人", "id": "1101**********0011", "action": "create"}]
    )

    @classmethod
    def in_township(cls, township):
        clerk = Membership.objects.filter(region=township, role=Role.TOWNSHIP_CLERK).first()
        return cls(region=township, uploaded_by=clerk.user if clerk else None)


from django.core.files.base import ContentFile  # noqa: E402  (appended with the stations app)

from stations.models import Standard, StandardItem, Station, StationFile, StationItemState  # noqa: E402

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@scoped_factory(Station)
class StationFactory(DjangoModelFactory):
    class Meta:
        model = Station

    kind = Station.Kind.HOME
    name = factory.Sequence(lambda n: f"测试代表之家{n}")

    @classmethod
    def in_township(cls, township):
        return cls(region=township)


@scoped_factory(Standard)
class StandardFactory(DjangoModelFactory):
    """A standard; in_township makes one of the township's own (a county's would be read by
    every township of the county, as it should)."""

    class Meta:
        model = Standard

    name = factory.Sequence(lambda n: f"测试标准{n}")
    year = 2026

    @classmethod
    def in_township(cls, township):
        return cls(region=township)


@scoped_factory(StandardItem)
class StandardItemFactory(DjangoModelFactory):
    class Meta:
        model = StandardItem

    title = factory.Sequence(lambda n: f"测试项目{n}")
    order = 1

    @classmethod
    def in_township(cls, township):
        return cls(standard=StandardFactory(region=township))


@scoped_factory(StationItemState)
class StationItemStateFactory(DjangoModelFactory):
    class Meta:
        model = StationItemState

    state = StationItemState.State.PARTLY
    evidence_type = "image/png"

    @classmethod
    def in_township(cls, township):
        row = cls(station=StationFactory(region=township), item=StandardItemFactory.in_township(township))
        row.evidence.save("evidence.png", ContentFile(PNG_BYTES))
        return row


@scoped_factory(StationFile)
class StationFileFactory(DjangoModelFactory):
    class Meta:
        model = StationFile

    title = factory.Sequence(lambda n: f"测试阵地照片{n}")
    kind = StationFile.Kind.PHOTO
    content_type = "image/png"
    file = factory.LazyFunction(lambda: ContentFile(PNG_BYTES, name="photo.png"))

    @classmethod
    def in_township(cls, township):
        return cls(station=StationFactory(region=township))


from stations.models import (  # noqa: E402  (appended with rosters, receptions and activities)
    Activity,
    ActivityFile,
    DutyRoster,
    Reception,
    VoterIssue,
    VoterIssueEvent,
)


@scoped_factory(DutyRoster)
class DutyRosterFactory(DjangoModelFactory):
    class Meta:
        model = DutyRoster
        skip_postgeneration_save = True

    date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))

    @classmethod
    def in_township(cls, township):
        row = cls(station=StationFactory(region=township))
        row.deputies.add(DeputyFactory(region=township))
        return row


@scoped_factory(Reception)
class ReceptionFactory(DjangoModelFactory):
    class Meta:
        model = Reception
        skip_postgeneration_save = True

    date = datetime.date(2026, 3, 10)
    voter_count = 3
    summary = "选民反映村道破损、饮水不稳定。"

    @classmethod
    def in_township(cls, township):
        row = cls(station=StationFactory(region=township))
        row.deputies.add(DeputyFactory(region=township))
        return row


@scoped_factory(VoterIssue)
class VoterIssueFactory(DjangoModelFactory):
    """A recorded issue; in_township makes one referred to a unit of the township."""

    class Meta:
        model = VoterIssue

    content = factory.Sequence(lambda n: f"测试反映问题{n}：村口路灯不亮")
    raised_on = datetime.date(2026, 3, 10)

    @classmethod
    def in_township(cls, township):
        return cls(
            region=township,
            station=StationFactory(region=township),
            state=VoterIssue.State.REFERRED,
            handling_unit=HandlingUnitFactory(region=township),
            referred_on=datetime.date(2026, 3, 11),
            due_on=datetime.date(2026, 4, 10),
        )


@scoped_factory(VoterIssueEvent)
class VoterIssueEventFactory(DjangoModelFactory):
    class Meta:
        model = VoterIssueEvent

    to_state = VoterIssue.State.RECORDED

    @classmethod
    def in_township(cls, township):
        return cls(issue=VoterIssueFactory.in_township(township))


@scoped_factory(Activity)
class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = Activity
        skip_postgeneration_save = True

    kind = Activity.Kind.INSPECTION
    date = datetime.date(2026, 4, 15)
    topic = factory.Sequence(lambda n: f"测试视察活动{n}")

    @classmethod
    def in_township(cls, township):
        row = cls(region=township, station=StationFactory(region=township))
        row.participants.add(DeputyFactory(region=township))
        return row


@scoped_factory(ActivityFile)
class ActivityFileFactory(DjangoModelFactory):
    class Meta:
        model = ActivityFile

    title = factory.Sequence(lambda n: f"测试活动照片{n}")
    kind = ActivityFile.Kind.PHOTO
    content_type = "image/png"
    file = factory.LazyFunction(lambda: ContentFile(PNG_BYTES, name="photo.png"))

    @classmethod
    def in_township(cls, township):
        return cls(activity=ActivityFactory.in_township(township))


from congress.models import (  # noqa: E402  (appended with the congress app)
    AgendaItem,
    Attendance,
    DeputyVote,
    ElectionCandidate,
    LivelihoodProject,
    Meeting,
    MeetingDocument,
    ProjectBallot,
    ProjectProgress,
    Suggestion,
    SuggestionAssignment,
    SuggestionEvent,
    SupervisionItem,
    SupervisionPlan,
)

_meeting_numbers = itertools.count(1)


@scoped_factory(Meeting)
class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    kind = Meeting.Kind.SESSION
    number = factory.LazyFunction(lambda: next(_meeting_numbers))
    date = datetime.date(2026, 3, 1)
    place = "镇政府三楼会议室"

    @classmethod
    def in_township(cls, township):
        return cls(region=township, term=TermFactory(region=township))


@scoped_factory(AgendaItem)
class AgendaItemFactory(DjangoModelFactory):
    class Meta:
        model = AgendaItem

    title = factory.Sequence(lambda n: f"测试议程{n}")
    needs_vote = True

    @classmethod
    def in_township(cls, township):
        return cls(meeting=MeetingFactory.in_township(township))


@scoped_factory(Attendance)
class AttendanceFactory(DjangoModelFactory):
    class Meta:
        model = Attendance

    @classmethod
    def in_township(cls, township):
        return cls(meeting=MeetingFactory.in_township(township), deputy=DeputyFactory(region=township))


@scoped_factory(DeputyVote)
class DeputyVoteFactory(DjangoModelFactory):
    class Meta:
        model = DeputyVote

    choice = DeputyVote.Choice.YES

    @classmethod
    def in_township(cls, township):
        return cls(item=AgendaItemFactory.in_township(township), deputy=DeputyFactory(region=township))


@scoped_factory(ElectionCandidate)
class ElectionCandidateFactory(DjangoModelFactory):
    class Meta:
        model = ElectionCandidate

    name = factory.Sequence(lambda n: f"候选人{n}")
    position = "人大副主席"

    @classmethod
    def in_township(cls, township):
        return cls(item=AgendaItemFactory(meeting=MeetingFactory.in_township(township), kind=AgendaItem.Kind.ELECTION))


@scoped_factory(MeetingDocument)
class MeetingDocumentFactory(DjangoModelFactory):
    class Meta:
        model = MeetingDocument

    title = factory.Sequence(lambda n: f"测试会议文件{n}")
    content_type = "image/png"
    file = factory.LazyFunction(lambda: ContentFile(PNG_BYTES, name="ballot.png"))

    @classmethod
    def in_township(cls, township):
        return cls(meeting=MeetingFactory.in_township(township))


@scoped_factory(SupervisionPlan)
class SupervisionPlanFactory(DjangoModelFactory):
    class Meta:
        model = SupervisionPlan

    year = factory.Sequence(lambda n: 2000 + n % 90)
    q1_focus = "优化营商环境"

    @classmethod
    def in_township(cls, township):
        return cls(region=township)


@scoped_factory(SupervisionItem)
class SupervisionItemFactory(DjangoModelFactory):
    class Meta:
        model = SupervisionItem

    year = 2026
    quarter = 2
    kind = SupervisionItem.Kind.REPORT_REVIEW
    title = factory.Sequence(lambda n: f"听取和审议测试专项工作报告{n}")

    @classmethod
    def in_township(cls, township):
        return cls(region=township, unit=HandlingUnitFactory(region=township))


@scoped_factory(Suggestion)
class SuggestionFactory(DjangoModelFactory):
    class Meta:
        model = Suggestion

    title = factory.Sequence(lambda n: f"关于修缮村道的建议{n}")
    content = "建议对村道进行修缮。"
    state = Suggestion.State.SUBMITTED
    submitted_on = datetime.date(2026, 3, 2)

    @classmethod
    def in_township(cls, township):
        return cls(region=township, term=TermFactory(region=township), lead_deputy=DeputyFactory(region=township))


@scoped_factory(SuggestionAssignment)
class SuggestionAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = SuggestionAssignment

    assigned_on = datetime.date(2026, 3, 10)
    due_on = datetime.date(2026, 6, 10)

    @classmethod
    def in_township(cls, township):
        suggestion = SuggestionFactory.in_township(township)
        Suggestion.objects.filter(pk=suggestion.pk).update(state=Suggestion.State.ASSIGNED)
        return cls(suggestion=suggestion, unit=HandlingUnitFactory(region=township))


@scoped_factory(SuggestionEvent)
class SuggestionEventFactory(DjangoModelFactory):
    class Meta:
        model = SuggestionEvent

    to_state = Suggestion.State.SUBMITTED

    @classmethod
    def in_township(cls, township):
        return cls(suggestion=SuggestionFactory.in_township(township))


@scoped_factory(LivelihoodProject)
class LivelihoodProjectFactory(DjangoModelFactory):
    class Meta:
        model = LivelihoodProject

    year = 2026
    title = factory.Sequence(lambda n: f"测试民生实事项目{n}")

    @classmethod
    def in_township(cls, township):
        return cls(region=township)


@scoped_factory(ProjectBallot)
class ProjectBallotFactory(DjangoModelFactory):
    class Meta:
        model = ProjectBallot

    choice = ProjectBallot.Choice.YES

    @classmethod
    def in_township(cls, township):
        return cls(project=LivelihoodProjectFactory.in_township(township), deputy=DeputyFactory(region=township))


@scoped_factory(ProjectProgress)
class ProjectProgressFactory(DjangoModelFactory):
    class Meta:
        model = ProjectProgress

    quarter = 2
    percent = 40
    report = "已完成招标。"

    @classmethod
    def in_township(cls, township):
        return cls(project=LivelihoodProjectFactory.in_township(township))


from assessments.models import (  # noqa: E402  (appended with the assessments app)
    Assessment,
    ChecklistItem,
    ChecklistSection,
    PointEntry,
    PointRule,
    PublicityItem,
    Score,
    StarRating,
    StarRatingItem,
    StarRule,
    TownshipResult,
)


@scoped_factory(PointRule)
class PointRuleFactory(DjangoModelFactory):
    """A rule; in_township makes one set on the township (a county's is read county-wide)."""

    class Meta:
        model = PointRule

    event = PointRule.Event.SESSION_PRESENT
    points = 5
    valid_from = 2020

    @classmethod
    def in_township(cls, township):
        return cls(region=township)


@scoped_factory(PointEntry)
class PointEntryFactory(DjangoModelFactory):
    class Meta:
        model = PointEntry

    year = 2026
    date = datetime.date(2026, 3, 1)
    event = PointRule.Event.SESSION_PRESENT
    points = 5
    source_label = factory.Sequence(lambda n: f"测试积分来源{n}")

    @classmethod
    def in_township(cls, township):
        return cls(deputy=DeputyFactory(region=township), rule=PointRuleFactory(region=township))


@scoped_factory(StarRule)
class StarRuleFactory(DjangoModelFactory):
    class Meta:
        model = StarRule

    year = factory.Sequence(lambda n: 2000 + n % 90)

    @classmethod
    def in_township(cls, township):
        return cls(region=township, standard=StandardFactory(region=township))


@scoped_factory(StarRating)
class StarRatingFactory(DjangoModelFactory):
    class Meta:
        model = StarRating

    year = 2026

    @classmethod
    def in_township(cls, township):
        return cls(station=StationFactory(region=township), rule=StarRuleFactory.in_township(township))


@scoped_factory(StarRatingItem)
class StarRatingItemFactory(DjangoModelFactory):
    class Meta:
        model = StarRatingItem

    self_state = StarRatingItem.State.MET

    @classmethod
    def in_township(cls, township):
        rating = StarRatingFactory.in_township(township)
        return cls(rating=rating, item=StandardItemFactory(standard=rating.rule.standard))


@scoped_factory(Assessment)
class AssessmentFactory(DjangoModelFactory):
    """An assessment; in_township makes one held by the township region itself."""

    class Meta:
        model = Assessment

    year = factory.Sequence(lambda n: 2000 + n % 90)

    @classmethod
    def in_township(cls, township):
        return cls(region=township)


@scoped_factory(ChecklistSection)
class ChecklistSectionFactory(DjangoModelFactory):
    class Meta:
        model = ChecklistSection

    title = factory.Sequence(lambda n: f"测试考核部分{n}")

    @classmethod
    def in_township(cls, township):
        return cls(assessment=AssessmentFactory(region=township))


@scoped_factory(ChecklistItem)
class ChecklistItemFactory(DjangoModelFactory):
    class Meta:
        model = ChecklistItem

    title = factory.Sequence(lambda n: f"测试考核项目{n}")
    points = 10

    @classmethod
    def in_township(cls, township):
        return cls(section=ChecklistSectionFactory.in_township(township))


@scoped_factory(Score)
class ScoreFactory(DjangoModelFactory):
    class Meta:
        model = Score

    points = 8

    @classmethod
    def in_township(cls, township):
        return cls(item=ChecklistItemFactory.in_township(township), township=township)


@scoped_factory(TownshipResult)
class TownshipResultFactory(DjangoModelFactory):
    class Meta:
        model = TownshipResult

    total = 88

    @classmethod
    def in_township(cls, township):
        return cls(assessment=AssessmentFactory(region=township), township=township)


@scoped_factory(PublicityItem)
class PublicityItemFactory(DjangoModelFactory):
    class Meta:
        model = PublicityItem

    date = datetime.date(2026, 5, 1)
    title = factory.Sequence(lambda n: f"测试宣传报道{n}")
    media = "县融媒体中心"

    @classmethod
    def in_township(cls, township):
        return cls(region=township)
