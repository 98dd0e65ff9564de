"""Django's own strings that its Vietnamese catalogue lacks, translated here so that secretaries
setting a password (invitation, reset) and admins saving a form read Vietnamese. Nothing imports
this module at run time: ``make messages`` reads it, and our catalogue (LOCALE_PATHS) is consulted
before Django's."""

from django.utils.translation import gettext_noop, ngettext_lazy

PASSWORD_VALIDATION = [
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        8,
    ),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        8,
    ),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
]
ADMIN = [
    ngettext_lazy("Please correct the error below.", "Please correct the errors below.", 1),
]
