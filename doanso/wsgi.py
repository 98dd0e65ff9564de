import os

from django.core.wsgi import get_wsgi_application

from doanso.lib.wsgi import refuse_odd_charsets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doanso.settings")
application = refuse_odd_charsets(get_wsgi_application())
