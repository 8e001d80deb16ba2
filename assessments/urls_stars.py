"""URLs of the stars part (added to assessments/urls.py)."""

from django.urls import path

from . import views_stars as v

urlpatterns: list = [
    path("stars/rule/", v.StarRuleView.as_view(), name="star-rule"),
    path("stars/", v.StarRatingListView.as_view(), name="star-rating-list"),
    path("stars/export.xlsx", v.StarRatingsXlsxView.as_view(), name="star-ratings-xlsx"),
    path("stars/<int:pk>/", v.StarRatingDetailView.as_view(), name="star-rating-detail"),
    path("stars/<int:pk>/self-assess/", v.StarRatingSelfAssessView.as_view(), name="star-rating-self-assess"),
    path("stars/<int:pk>/submit/", v.StarRatingSubmitView.as_view(), name="star-rating-submit"),
    path("stars/<int:pk>/review/", v.StarRatingReviewView.as_view(), name="star-rating-review"),
    path("stars/<int:pk>/certificate.pdf", v.StarCertificatePdfView.as_view(), name="star-certificate-pdf"),
    path("stars/evidence/<int:pk>/", v.StarRatingEvidenceView.as_view(), name="star-rating-evidence"),
]
