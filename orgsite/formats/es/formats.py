# Spanish as the directory's readers read it, in the United States and Mexico: "5.2 km" and
# "1,234", not Spain's "5,2 km" and "1.234". Dates are the same in both ("15 de septiembre").
from django.conf.locale.es_MX.formats import *  # noqa: F403
