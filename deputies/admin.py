"""Deputies in the IT superuser's admin: read-only, masked, for looking a record up (and as the
benchmark's side-by-side of the roster page). DESIGN: the superuser does not edit business
data, and sees ID numbers and phones only masked, like anyone outside the township."""

from django.contrib import admin

from .models import Deputy
from .privacy import mask_id_number, mask_phone


@admin.register(Deputy)
class DeputyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "gender",
        "ethnicity",
        "party",
        "education",
        "occupation",
        "region",
        "masked_id_number",
        "masked_phone",
        "work_unit",
    )
    list_select_related = ("region",)
    list_filter = ("gender", "party", "occupation")
    search_fields = ("name", "name_initials", "work_unit")
    list_per_page = 20
    # Full rows are not shown: only the list columns (masked) are readable here.
    fields = ("name", "gender", "ethnicity", "party", "education", "occupation", "region", "work_unit")

    @admin.display(description="身份证号")
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number)

    @admin.display(description="联系电话")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
