"""The statutory core of a township congress, one module per part:

- meetings: `Meeting` (sessions 人民代表大会会议 and presidium meetings 主席团会议) with agenda
  items, the attendance roll, votes and election results, documents;
- supervision: `SupervisionPlan` and `SupervisionItem` (监督) with the review → rectification →
  follow-up → satisfaction chain;
- suggestions: `Suggestion` (代表建议) with its unit assignments and workflow log;
- livelihood: `LivelihoodProject` (民生实事项目) with per-deputy ballots and progress reports.
"""

from .livelihood import LivelihoodProject, ProjectBallot, ProjectProgress
from .meetings import AgendaItem, Attendance, DeputyVote, ElectionCandidate, Meeting, MeetingDocument
from .suggestions import Suggestion, SuggestionAssignment, SuggestionEvent
from .supervision import SupervisionItem, SupervisionPlan

__all__ = [
    "AgendaItem",
    "Attendance",
    "DeputyVote",
    "ElectionCandidate",
    "LivelihoodProject",
    "Meeting",
    "MeetingDocument",
    "ProjectBallot",
    "ProjectProgress",
    "Suggestion",
    "SuggestionAssignment",
    "SuggestionEvent",
    "SupervisionItem",
    "SupervisionPlan",
]
