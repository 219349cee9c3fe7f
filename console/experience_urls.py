"""URLs of Experience Login, included by console/urls.py."""

urlpatterns = []
