"""Writes over the deputies registry (DESIGN.md section 3: writes that touch more than one
row or model). Each function is keyword-only, named `<entity>_<action>`, runs in one
transaction, validates with the models' own rules and raises ValidationError with Chinese
messages keyed by field, so a view can show them beside its form's inputs.

Scope is the caller's business: views pass rows they fetched with `for_user(user, "change")`.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from org.models import Region, Term

from .models import Constituency, Deputy, DeputyGroup, Mandate, VoterContact

# Statuses that end a mandate, with the action's name in the UI.
END_STATUSES = {
    Mandate.Status.RESIGNED: "辞职",
    Mandate.Status.RECALLED: "罢免",
    Mandate.Status.TERMINATED: "终止",
    Mandate.Status.TRANSFERRED: "调离",
    Mandate.Status.EXPIRED: "届满",
}


def _errors(**by_field) -> ValidationError:
    return ValidationError({k if k != "all" else NON_FIELD_ERRORS: v for k, v in by_field.items()})


def _mandate_region(deputy: Deputy, level: str, term: Term) -> Region:
    """Where the seat is: the deputy's township for a township seat, else the region that
    defines the term (the county, for a county seat)."""
    return deputy.region if level == Mandate.Level.TOWNSHIP else term.region


def _check_new_mandate(*, deputy: Deputy, level: str, term: Term, elected_on, constituency, by_election: bool):
    errors = {}
    if term.level != level:
        errors["term"] = f"所选届次是{term.get_level_display()}人大的届次，与代表层级不符。"
    elif not deputy.region.path.startswith(term.region.path):
        errors["term"] = f"{term.region.name}的届次不适用于{deputy.region.name}的代表。"
    if elected_on is None:
        errors["elected_on"] = "请填写当选日期。"
    elif not term.start_date <= elected_on <= term.end_date:
        errors["elected_on"] = (
            f"当选日期应在该届次的起止日期之内（{term.start_date:%Y-%m-%d} 至 {term.end_date:%Y-%m-%d}）。"
        )
    elif elected_on > timezone.localdate():
        errors["elected_on"] = "当选日期不能晚于今天。"
    if constituency is not None and constituency.region_id != deputy.region_id:
        errors["constituency"] = f"选区必须是{deputy.region.name}的选区。"
    if "term" not in errors:
        serving = Mandate.objects.filter(deputy=deputy, level=level, term=term, status=Mandate.Status.SERVING)
        if deputy.pk and serving.exists():
            what = "补选" if by_election else "登记"
            errors[NON_FIELD_ERRORS] = (
                f"{deputy.name}在{term}已有在任的{Mandate.Level(level).label}人大代表资格，不能重复{what}。"
                "如原代表资格已终止，请先在履职档案中办理辞职、罢免、终止或调离。"
            )
    if errors:
        raise ValidationError(errors)


def _create_mandate(*, deputy, level, term, elected_on, constituency, by_election, presidium_role) -> Mandate:
    level = level or term.level
    _check_new_mandate(
        deputy=deputy,
        level=level,
        term=term,
        elected_on=elected_on,
        constituency=constituency,
        by_election=by_election,
    )
    mandate = Mandate(
        deputy=deputy,
        level=level,
        region=_mandate_region(deputy, level, term),
        term=term,
        constituency=constituency,
        status=Mandate.Status.SERVING,
        elected_on=elected_on,
        by_election=by_election,
        presidium_role=presidium_role or "",
    )
    mandate.full_clean(validate_constraints=False)
    try:
        # A savepoint: a race with another clerk ends here with a message, not a 500.
        with transaction.atomic():
            mandate.save()
    except IntegrityError:
        raise _errors(all=f"{deputy.name}在{term}已有在任的{mandate.get_level_display()}人大代表资格。") from None
    return mandate


# --- deputies ---------------------------------------------------------------------------


@transaction.atomic
def deputy_create(
    *,
    term: Term,
    elected_on: datetime.date | None = None,
    level: str | None = None,
    constituency: Constituency | None = None,
    by_election: bool = False,
    presidium_role: str = "",
    **fields,
) -> Deputy:
    """Register a deputy (`fields`: region, name, gender, id_number …) with its first
    mandate in `term` (level defaults to the term's; elected_on to the term's start for a
    general election, required for a by-election). Both rows or neither."""
    if elected_on is None and not by_election:
        elected_on = term.start_date
    deputy = Deputy(**fields)
    deputy.full_clean()
    deputy.save()
    _create_mandate(
        deputy=deputy,
        level=level,
        term=term,
        elected_on=elected_on,
        constituency=constituency,
        by_election=by_election,
        presidium_role=presidium_role,
    )
    return deputy


@transaction.atomic
def deputy_update(*, deputy: Deputy, **fields) -> Deputy:
    """Change a deputy's record. The township cannot change here: a deputy leaving it is
    a 调离 of the mandate, and a new township registers the person again."""
    if "region" in fields and fields["region"] != deputy.region:
        raise _errors(region="代表所属乡镇不能直接修改；调离本乡镇请在履职档案中办理“调离”。")
    fields.pop("region", None)
    for name, value in fields.items():
        setattr(deputy, name, value)
    deputy.full_clean()
    deputy.save()
    return deputy


# --- mandates ---------------------------------------------------------------------------


@transaction.atomic
def mandate_end(*, mandate: Mandate, status: str, ended_on: datetime.date, end_reason: str = "") -> Mandate:
    """End a serving mandate — 辞职 resigned, 罢免 recalled, 终止 terminated, 调离
    transferred (or 届满 expired) — keeping it as history with its end date and reason.

    A deputy left without any serving mandate of the township leaves its deputy groups
    (and stops leading or linking them)."""
    if status not in END_STATUSES:
        raise _errors(status="无效的终止方式。")
    if mandate.status != Mandate.Status.SERVING:
        raise _errors(all=f"该代表资格已是“{mandate.get_status_display()}”状态，不能再办理{END_STATUSES[status]}。")
    if ended_on is None:
        raise _errors(ended_on="请填写日期。")
    if ended_on < mandate.elected_on:
        raise _errors(ended_on=f"日期不能早于当选日期（{mandate.elected_on:%Y-%m-%d}）。")
    if ended_on > timezone.localdate():
        raise _errors(ended_on="日期不能晚于今天。")
    mandate.status = status
    mandate.ended_on = ended_on
    mandate.end_reason = (end_reason or "").strip()[:200]
    mandate.full_clean(validate_constraints=False)
    mandate.save()
    deputy = mandate.deputy
    still_serving = deputy.mandates.filter(status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP).exists()
    if not still_serving:
        for group in DeputyGroup.objects.filter(Q(members=deputy) | Q(leader=deputy) | Q(presidium_contact=deputy)):
            group_remove_deputy(group=group, deputy=deputy)
    return mandate


@transaction.atomic
def mandate_by_elect(
    *,
    deputy: Deputy,
    term: Term,
    elected_on: datetime.date,
    level: str | None = None,
    constituency: Constituency | None = None,
    presidium_role: str = "",
) -> Mandate:
    """A by-election 补选: a new serving mandate (by_election=True) for `deputy` at
    `level` in `term`. Refused if the deputy already serves at that level in that term;
    its earlier, ended mandates stay as they are (history)."""
    return _create_mandate(
        deputy=deputy,
        level=level,
        term=term,
        elected_on=elected_on,
        constituency=constituency,
        by_election=True,
        presidium_role=presidium_role,
    )


@transaction.atomic
def mandate_update(*, mandate: Mandate, **fields) -> Mandate:
    """Correct a mandate's details (constituency, elected date, presidium role, by-election
    flag); its status changes only through mandate_end."""
    allowed = {"constituency", "elected_on", "presidium_role", "by_election"}
    unknown = set(fields) - allowed
    if unknown:
        raise _errors(all=f"不能在此修改：{'、'.join(sorted(unknown))}。")
    for name, value in fields.items():
        setattr(mandate, name, value if name != "presidium_role" else (value or ""))
    errors = {}
    if mandate.constituency is not None and mandate.constituency.region_id != mandate.deputy.region_id:
        errors["constituency"] = f"选区必须是{mandate.deputy.region.name}的选区。"
    term = mandate.term
    if mandate.elected_on and not term.start_date <= mandate.elected_on <= term.end_date:
        errors["elected_on"] = (
            f"当选日期应在该届次的起止日期之内（{term.start_date:%Y-%m-%d} 至 {term.end_date:%Y-%m-%d}）。"
        )
    if mandate.ended_on and mandate.elected_on and mandate.ended_on < mandate.elected_on:
        errors["elected_on"] = "当选日期不能晚于终止日期。"
    if errors:
        raise ValidationError(errors)
    mandate.full_clean(validate_constraints=False)
    mandate.save()
    return mandate


# --- voter contacts ---------------------------------------------------------------------


def _check_contact(contact: VoterContact):
    village = contact.village
    if village is not None and not (
        village.kind in (Region.Kind.VILLAGE, Region.Kind.COMMUNITY) and village.parent_id == contact.deputy.region_id
    ):
        raise _errors(village=f"请选择{contact.deputy.region.name}的村（社区）。")
    contact.full_clean()


@transaction.atomic
def voter_contact_create(*, deputy: Deputy, **fields) -> VoterContact:
    """Add a voter the deputy keeps in touch with (联系选民)."""
    contact = VoterContact(deputy=deputy, **fields)
    _check_contact(contact)
    contact.save()
    return contact


@transaction.atomic
def voter_contact_update(*, contact: VoterContact, **fields) -> VoterContact:
    """Change a voter contact; it stays with its deputy."""
    fields.pop("deputy", None)
    for name, value in fields.items():
        setattr(contact, name, value)
    _check_contact(contact)
    contact.save()
    return contact


@transaction.atomic
def voter_contact_delete(*, contact: VoterContact) -> None:
    """Remove a voter contact (the audit log keeps what it was)."""
    contact.delete()


# --- deputy groups ----------------------------------------------------------------------


def _check_group(*, region: Region, leader, presidium_contact, members, group: DeputyGroup | None, name: str):
    errors = {}
    if not region.is_township:
        errors["region"] = "代表小组必须属于一个乡镇（街道）。"
    outsiders = [d.name for d in members if d.region_id != region.pk]
    if outsiders:
        errors["members"] = f"成员只能是{region.name}的代表：{'、'.join(outsiders)}不是。"
    if leader is not None and leader.region_id != region.pk:
        errors["leader"] = f"组长必须是{region.name}的代表。"
    if presidium_contact is not None:
        is_presidium = (
            presidium_contact.region_id == region.pk
            and presidium_contact.mandates.filter(status=Mandate.Status.SERVING).exclude(presidium_role="").exists()
        )
        if not is_presidium:
            errors["presidium_contact"] = f"联系的主席团成员必须是{region.name}在任的主席团成员。"
    taken = DeputyGroup.objects.filter(region=region, name=name)
    if group is not None and group.pk:
        taken = taken.exclude(pk=group.pk)
    if name and taken.exists():
        errors["name"] = f"{region.name}已有名为“{name}”的代表小组。"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def group_create(
    *,
    region: Region,
    name: str,
    leader: Deputy | None = None,
    presidium_contact: Deputy | None = None,
    members=(),
) -> DeputyGroup:
    """Create a deputy group 代表小组 of a township; its members (the leader among them) must
    be deputies of that township, its presidium contact a serving presidium member there."""
    members = list(members)
    if leader is not None and leader not in members:
        members.append(leader)
    _check_group(region=region, leader=leader, presidium_contact=presidium_contact, members=members, group=None,
                 name=name)  # fmt: skip
    group = DeputyGroup(region=region, name=name, leader=leader, presidium_contact=presidium_contact)
    group.full_clean(validate_constraints=False)
    group.save()
    group.members.set(members)
    return group


@transaction.atomic
def group_update(*, group: DeputyGroup, members=None, **fields) -> DeputyGroup:
    """Change a group's name, leader, presidium contact and (if given) its members; the
    township stays."""
    if "region" in fields and fields["region"] != group.region:
        raise _errors(region="代表小组所属乡镇不能修改。")
    fields.pop("region", None)
    for name, value in fields.items():
        setattr(group, name, value)
    members = list(group.members.all()) if members is None else list(members)
    if group.leader is not None and group.leader not in members:
        members.append(group.leader)
    _check_group(
        region=group.region,
        leader=group.leader,
        presidium_contact=group.presidium_contact,
        members=members,
        group=group,
        name=group.name,
    )
    group.full_clean(validate_constraints=False)
    group.save()
    group.members.set(members)
    return group


@transaction.atomic
def group_remove_deputy(*, group: DeputyGroup, deputy: Deputy) -> DeputyGroup:
    """Take a deputy out of a group: off its members, and no longer its leader or its
    presidium contact."""
    group.members.remove(deputy)
    changed = []
    if group.leader_id == deputy.pk:
        group.leader = None
        changed.append("leader")
    if group.presidium_contact_id == deputy.pk:
        group.presidium_contact = None
        changed.append("presidium_contact")
    if changed:
        group.save(update_fields=changed)
    return group


@transaction.atomic
def group_delete(*, group: DeputyGroup) -> None:
    """Delete a deputy group (its members stay deputies)."""
    group.delete()
