from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .invitations import can_be_invited, invitation_send
from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "email", "phone")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "email", "password1", "password2")}),
    )
    list_display = ("username", "full_name", "email", "phone", "is_staff", "is_active")
    search_fields = ("username", "full_name", "email", "phone")
    ordering = ("username",)
    actions = ["send_invitations"]

    @admin.action(description=_("Send an invitation (people who never chose a password)"))
    def send_invitations(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        sent = failed = skipped = 0
        for user in queryset:
            if not user.email or not can_be_invited(user):
                skipped += 1
            elif invitation_send(user):
                sent += 1
            else:
                failed += 1
        if sent:
            self.message_user(request, gettext("%(count)d invitations sent.") % {"count": sent}, messages.SUCCESS)
        if failed:
            self.message_user(
                request,
                gettext("%(count)d invitations could not be sent (the mail server did not accept them).")
                % {"count": failed},
                messages.ERROR,
            )
        if skipped:
            self.message_user(
                request,
                gettext(
                    "%(count)d users were skipped: they already chose a password, are switched off or have no e-mail."
                )
                % {"count": skipped},
                messages.WARNING,
            )
