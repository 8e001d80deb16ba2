"""The roles of DESIGN.md section 1, and which of them read or write business data."""

from django.db import models


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", "县人大代表工委"
    TOWNSHIP_CLERK = "township_clerk", "乡镇人大秘书"
    DEPUTY = "deputy", "人大代表"
    HANDLING_UNIT = "handling_unit", "承办单位"
    AUDITOR = "auditor", "审计员"
    SUPERUSER = "superuser", "系统管理员"


# Roles whose membership of a region lets them read every business row in its subtree.
REGION_READ_ROLES = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
# Default for writes: the township keeps its own records; a model may widen this
# (county staff write standards, checklists and scores).
DEFAULT_WRITE_ROLES = (Role.TOWNSHIP_CLERK,)
# Roles that may sit on a region of each kind.
COUNTY_KINDS = ("province", "prefecture", "county")
TOWNSHIP_KINDS = ("township", "subdistrict")
