"""Mark strings for message extraction without translating them where they are defined.

``N_("…")`` returns its argument unchanged; ``pybabel``/``tools/i18n.py extract`` picks it up,
and the string is translated later, when it is shown (``_()`` in templates, ``translator()``
in Python, ``app.web.errors.translate_for_api`` for API errors).
"""

from __future__ import annotations


def N_(message: str) -> str:
    """No-op marker: the Vietnamese source string is a gettext msgid."""
    return message
