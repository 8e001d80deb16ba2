"""The year-end evaluation, one module per part:

- points: `PointRule` (what a recorded event is worth) and `PointEntry` (a deputy's points,
  computed from records by a job, each with its source);
- stars: `StarRule` (thresholds), `StarRating` and `StarRatingItem` (a room's rating for a year);
- assessment: `Assessment` (the county's year), `ChecklistSection`/`ChecklistItem` (the
  责任清单), `Score` (a township's score on an item), `TownshipResult` (total, grade, rank,
  right of reply) and `PublicityItem` (宣传报道 the checklist counts).
"""

from .assessment import Assessment, ChecklistItem, ChecklistSection, PublicityItem, Score, TownshipResult
from .points import PointEntry, PointRule
from .stars import StarRating, StarRatingItem, StarRule

__all__ = [
    "Assessment",
    "ChecklistItem",
    "ChecklistSection",
    "PointEntry",
    "PointRule",
    "PublicityItem",
    "Score",
    "StarRating",
    "StarRatingItem",
    "StarRule",
    "TownshipResult",
]
