"""Base views every app builds on: login, roles and the scoping rule applied for them.

A view names its `model`; its queryset is `model.objects.for_user(user, action)`, so a
row outside the user's regions is a 404 whatever the view does next. Forms built through
these views see only in-scope rows in their choice fields.
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from . import concurrency
from .models import user_roles
from .scoping import CHANGE, VIEW


class RoleRequiredMixin(LoginRequiredMixin):
    """Only users holding one of `allowed_roles` get in (403 otherwise). Empty: any role."""

    allowed_roles: tuple[str, ...] = ()
    allow_django_superuser = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.allowed_roles and not self.has_role(request.user):
            raise PermissionDenied("您的角色无权访问此页面。")
        return super().dispatch(request, *args, **kwargs)

    def has_role(self, user) -> bool:
        if self.allow_django_superuser and user.is_superuser:
            return True
        return bool(set(self.allowed_roles) & user_roles(user))


def scope_form_fields(form, user):
    """Limit every choice field over a scoped model to the rows the user may see, so an id
    from another township posted by hand is refused as an invalid choice."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "for_user"):
            field.queryset = queryset.for_user(user)
    return form


class ScopedQuerysetMixin(RoleRequiredMixin):
    scope_action = VIEW
    # Lists narrow to the region picked in the top bar; detail pages do not.
    narrow_to_active_region = False

    def get_queryset(self):
        qs = super().get_queryset().for_user(self.request.user, self.scope_action)
        if self.narrow_to_active_region:
            qs = qs.in_region(self.request.active_region)
        return qs


class ScopedFormMixin:
    def get_form(self, form_class=None):
        return scope_form_fields(super().get_form(form_class), self.request.user)


class ScopedListView(ScopedQuerysetMixin, ListView):
    paginate_by = 20
    narrow_to_active_region = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        # The filters, kept across pages.
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx["query"] = query.urlencode()
        return ctx


class ScopedDetailView(ScopedQuerysetMixin, DetailView):
    pass


class ScopedWriteMixin(ScopedQuerysetMixin):
    """Change and delete: a row the user can see but not change is a 403; one it cannot see
    at all is a 404 (no leak that it exists)."""

    scope_action = CHANGE

    def get_object(self, queryset=None):
        try:
            return super().get_object(queryset)
        except Http404:
            visible = self.model._default_manager.for_user(self.request.user, VIEW)
            if visible.filter(pk=self.kwargs.get(self.pk_url_kwarg)).exists():
                raise PermissionDenied("您无权修改此记录。") from None
            raise


class ScopedCreateView(ScopedFormMixin, RoleRequiredMixin, CreateView):
    pass


class ScopedUpdateView(ScopedFormMixin, ScopedWriteMixin, UpdateView):
    """An edit page with optimistic concurrency (org.concurrency): the form carries the row's
    version as shown ({{ row_version_field }} in the template); a POST runs in one
    transaction that locks the row, and a form opened before someone else saved the row is
    refused with a message instead of silently overwriting their change."""

    # Fields another process changes on its own, which must not make a form stale.
    row_version_exclude: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            # The lock taken in get_object holds until the save is committed.
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        if self.request.method == "POST":
            # Lock before reading, so the row checked is the row saved.
            concurrency.lock_row(self.get_queryset(), self.kwargs.get(self.pk_url_kwarg))
        return super().get_object(queryset)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        digest = concurrency.fingerprint(
            self.object, concurrency.form_m2m_names(self.object, form), self.row_version_exclude
        )
        posted = self.request.POST.get(concurrency.FIELD_NAME, "") if self.request.method == "POST" else ""
        concurrency.guard_form(form, self.object, posted, digest)
        # A form shown again keeps the version it was opened with: fixing another error
        # must not turn a stale form into a fresh one.
        self.row_version = posted or concurrency.make_token(digest)
        return form

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if getattr(self, "row_version", None):
            ctx["row_version_field"] = concurrency.hidden_input(self.row_version)
        return ctx


class ScopedDeleteView(ScopedWriteMixin, DeleteView):
    pass
