"""Shared test settings: no hypothesis deadlines, since CI machines are shared and timing is not
what these properties are about."""

from hypothesis import settings

settings.register_profile("gradwalk", deadline=None)
settings.load_profile("gradwalk")
