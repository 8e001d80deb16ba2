"""The IT superuser's tools: users, regions, memberships, units, terms. No business data."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group

from .models import AuditEntry, HandlingUnit, Membership, Region, Term, User

admin.site.unregister(Group)


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 1
    autocomplete_fields = ["region", "handling_unit"]


class ResetPasswordForm(AdminPasswordChangeForm):
    """A password an admin sets is a reset: the person must choose its own at next login."""

    def save(self, commit=True):
        self.user.must_change_password = True
        return super().save(commit)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    change_password_form = ResetPasswordForm
    # Roles come from memberships (below), not Django groups and permissions: those stay hidden.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("name", "phone", "email")}),
        ("状态", {"fields": ("is_active", "must_change_password", "is_staff", "is_superuser")}),
        ("登录记录", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("个人信息", {"fields": ("name", "phone")}),)
    readonly_fields = ("last_login", "date_joined")
    list_filter = ("is_active", "is_staff", "must_change_password", "memberships__role")
    list_display = ("username", "name", "phone", "is_active", "must_change_password", "last_login")
    search_fields = ("username", "name", "phone")
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        # An account an admin creates, or whose password an admin sets, must be given a
        # password of the person's own choosing at first login.
        if not change or "password" in form.changed_data:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "code", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    autocomplete_fields = ["parent"]


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("__str__", "region", "level", "start_date", "end_date")
    autocomplete_fields = ["region"]


@admin.register(HandlingUnit)
class HandlingUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "contact", "phone", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    autocomplete_fields = ["region"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "region", "role", "handling_unit")
    list_filter = ("role",)
    search_fields = ("user__username", "user__name", "region__name")
    autocomplete_fields = ["user", "region", "handling_unit"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes the audit log, not even IT."""

    list_display = ("time", "username", "ip", "action", "model_label", "object_repr")
    list_filter = ("action",)
    search_fields = ("username", "object_repr")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
