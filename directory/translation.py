"""Causes' names and descriptions in every language of MODELTRANSLATION_LANGUAGES.

django-modeltranslation adds `name_en`, `name_es`, ... beside each field and makes `name` read the
current language's value, falling back to English. The history is registered here, not on the
model, because simple_history copies the model's fields when it builds the historical model: built
after the per-language fields, each record keeps every language and a revert restores them all.
"""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from directory.models import Category


@register(Category)
class CategoryTranslationOptions(TranslationOptions):
    fields = ("name", "description")


simple_history.register(Category)
