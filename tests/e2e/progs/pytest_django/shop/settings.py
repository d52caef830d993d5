# SPDX-License-Identifier: MIT
"""Settings of the test shop: SQLite, one app, no middleware."""
SECRET_KEY = "only-for-tests"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "shop.sqlite3"}}
INSTALLED_APPS = ["shop"]
ROOT_URLCONF = "shop.urls"
MIDDLEWARE = []
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
