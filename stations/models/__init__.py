"""The 两室一平台's records, one module per part (each owned by one part of the app):

- rooms: `Station`, its photos/documents, the county's `Standard`s and each room's item states;
- roster: `DutyRoster`, the 值日表 (which deputies are on duty at a room on a day);
- receptions: `Reception` (接待选民) and `VoterIssue` (what voters raised, with its workflow log);
- activities: `Activity` (代表活动) with participants and files.
"""

from .activities import Activity, ActivityFile
from .receptions import Reception, VoterIssue, VoterIssueEvent
from .rooms import VILLAGE_KINDS, Standard, StandardItem, StandardScope, Station, StationFile, StationItemState
from .roster import DutyRoster

__all__ = [
    "VILLAGE_KINDS",
    "Activity",
    "ActivityFile",
    "DutyRoster",
    "Reception",
    "Standard",
    "StandardItem",
    "StandardScope",
    "Station",
    "StationFile",
    "StationItemState",
    "VoterIssue",
    "VoterIssueEvent",
]
