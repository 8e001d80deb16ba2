from django.urls import path

from . import views, views_export, views_import

app_name = "deputies"

urlpatterns = [
    path("", views.DeputyListView.as_view(), name="deputy-list"),
    path("<int:pk>/", views.DeputyDetailView.as_view(), name="deputy-detail"),
    path("me/", views.MyDutyFileView.as_view(), name="my-duty-file"),
    # Registry pages (issue 3: roster, duty file, mandates, voter contacts, groups, structure).
    path("new/", views.DeputyCreateView.as_view(), name="deputy-create"),
    path("<int:pk>/edit/", views.DeputyUpdateView.as_view(), name="deputy-update"),
    path("<int:pk>/reveal/", views.DeputyRevealView.as_view(), name="deputy-reveal"),
    path("<int:pk>/by-election/", views.MandateByElectView.as_view(), name="mandate-by-elect"),
    path("<int:pk>/contacts/new/", views.VoterContactCreateView.as_view(), name="contact-create"),
    path("mandates/<int:pk>/resign/", views.MandateEndView.as_view(action="resign"), name="mandate-resign"),
    path("mandates/<int:pk>/recall/", views.MandateEndView.as_view(action="recall"), name="mandate-recall"),
    path("mandates/<int:pk>/terminate/", views.MandateEndView.as_view(action="terminate"), name="mandate-terminate"),
    path("mandates/<int:pk>/transfer/", views.MandateEndView.as_view(action="transfer"), name="mandate-transfer"),
    path("mandates/<int:pk>/edit/", views.MandateUpdateView.as_view(), name="mandate-update"),
    path("contacts/<int:pk>/edit/", views.VoterContactUpdateView.as_view(), name="contact-update"),
    path("contacts/<int:pk>/delete/", views.VoterContactDeleteView.as_view(), name="contact-delete"),
    path("groups/", views.GroupListView.as_view(), name="group-list"),
    path("groups/new/", views.GroupCreateView.as_view(), name="group-create"),
    path("groups/<int:pk>/", views.GroupDetailView.as_view(), name="group-detail"),
    path("groups/<int:pk>/edit/", views.GroupUpdateView.as_view(), name="group-update"),
    path("groups/<int:pk>/delete/", views.GroupDeleteView.as_view(), name="group-delete"),
    path("structure/", views.StructureView.as_view(), name="structure"),
    # Importing the roster from Excel (deputies/views_import.py).
    path("import/", views_import.ImportUploadView.as_view(), name="import-upload"),
    path("import/<int:pk>/", views_import.ImportDetailView.as_view(), name="import-detail"),
    path("import/<int:pk>/commit/", views_import.ImportCommitView.as_view(), name="import-commit"),
    path("import/<int:pk>/progress/", views_import.ImportProgressView.as_view(), name="import-progress"),
    path("import/<int:pk>/report/", views_import.ImportReportView.as_view(), name="import-report"),
    # Files: the roster as Excel, the duty file as PDF (deputies/views_export.py).
    path("export/", views_export.RosterExportView.as_view(), name="deputy-export"),
    path("<int:pk>/pdf/", views_export.DeputyPdfView.as_view(), name="deputy-pdf"),
]
