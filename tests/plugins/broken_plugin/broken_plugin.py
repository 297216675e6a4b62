"""A plugin module without the class its entry point names (``DoesNotExist``)."""

SOMETHING_ELSE = True
