"""TODO"""

urlpatterns: list = []
menu_items: list = []
