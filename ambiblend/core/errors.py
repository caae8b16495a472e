"""The one error type of AmbiBlend.

Every failure a user can cause (bad file, no person, wrong weights, wrong selection) raises
``AmbiblendError`` with a message meant for the user; the Blender layer turns it into
``self.report({'ERROR'}, msg)`` and the batch script into a non-zero exit.
"""


class AmbiblendError(Exception):
    """A problem with the user's input, reported to them as is."""
