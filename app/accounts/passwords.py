"""The password policy, the same for citizens (register, change, reset by e-mail) and for staff
(created or reset by an admin, ``portal user create``).

A password needs at least 8 characters and must not be easy to guess. "Easy" is measured by
zxcvbn (Dropbox's estimator, maintained on PyPI): its lists of the most common passwords
(from public breaches), names, words, keyboard rows, sequences, repeats and dates, plus the
person's own data and the portal's name as context. A password it estimates at fewer than
about a million guesses (score 0 or 1 of 4) is refused, with the reason in Vietnamese.
Random generated passwords (admin "leave blank") are not checked: they are long and random.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from app.errors import InvalidInput
from app.i18n_markers import N_
from app.text import fold

MIN_LENGTH = 8
MAX_LENGTH = 128
# zxcvbn scores 0–4: 2 means about 10^6 guesses or more — beyond an online attack that the
# login lock-out slows to a few tries per quarter hour, and costly offline against argon2.
MIN_SCORE = 2
# zxcvbn refuses longer inputs; the first 72 characters decide whether it is guessable.
_ANALYSED = 72
# Words of this site that people put in passwords ("mật khẩu", "dịch vụ công", …): zxcvbn
# treats them like the user's own data.
SITE_WORDS = (
    "matkhau",
    "motcua",
    "dichvucong",
    "congdan",
    "hanhchinh",
    "quantri",
    "canbo",
)

TOO_SHORT = N_("Mật khẩu cần ít nhất 8 ký tự.")
TOO_LONG = N_("Mật khẩu dài tối đa 128 ký tự.")
COMMON = N_(
    "Mật khẩu này nằm trong danh sách mật khẩu phổ biến bị lộ, kẻ gian thử đầu tiên. "
    "Vui lòng chọn mật khẩu khác."
)
PERSONAL = N_(
    "Mật khẩu dựa trên email, họ tên, số điện thoại, số định danh hoặc tên cổng dịch vụ "
    "nên dễ bị đoán. Vui lòng chọn mật khẩu khác."
)
PATTERN = N_(
    "Mật khẩu là dãy ký tự liền nhau, lặp lại hoặc theo hàng phím (như 12345678, aaaaaaaa, "
    "qwertyui) nên dễ bị đoán. Vui lòng chọn mật khẩu khác."
)
DATE = N_("Mật khẩu chủ yếu là ngày tháng hoặc năm nên dễ bị đoán. Vui lòng chọn mật khẩu khác.")
GUESSABLE = N_(
    "Mật khẩu quá dễ đoán. Hãy dùng cụm từ dài hơn gồm vài từ không liên quan, "
    "thêm chữ số hoặc ký hiệu."
)
# The machine-readable reason of the API's ``fields``.
_CODES = {
    TOO_SHORT: "too short",
    TOO_LONG: "too long",
    COMMON: "common password",
    PERSONAL: "based on personal data",
    PATTERN: "sequence or repetition",
    DATE: "date",
    GUESSABLE: "too easy to guess",
}
# zxcvbn keeps the user's words in a module-level dictionary during a call: one at a time.
_lock = threading.Lock()


def _personal_words(personal: Iterable[str | None]) -> list[str]:
    """The user's data as zxcvbn context: each value, its accent-free form, its words, the
    family and given names together and the e-mail's local part."""
    words: list[str] = list(SITE_WORDS)
    for value in personal:
        if not value:
            continue
        text = str(value).strip().lower()
        folded = fold(text)
        parts = folded.split()
        words += [text, folded, "".join(parts)]
        words += [w for w in parts if len(w) >= 3]
        if len(parts) >= 2:  # family and given name together: "lenam", "namle"
            words += [parts[0] + parts[-1], parts[-1] + parts[0]]
        if "@" in text:
            words.append(text.split("@", 1)[0])
    return [w for w in dict.fromkeys(words) if w]


def _analyse(password: str, personal: Iterable[str | None]) -> dict[str, Any]:
    # zxcvbn loads its frequency lists (about 14 MB) on import: only processes that check
    # a password pay for them.
    from zxcvbn import zxcvbn

    with _lock:
        result: dict[str, Any] = dict(
            zxcvbn(password[:_ANALYSED], user_inputs=_personal_words(personal))
        )
    return result


def _reason(password: str, sequence: list[dict[str, Any]]) -> str:
    """The weakness that covers most of the password."""
    covered: dict[str, int] = {}
    for match in sequence:
        pattern = match.get("pattern")
        if pattern == "dictionary":
            source = str(match.get("dictionary_name", ""))
            reason = {"passwords": COMMON, "user_inputs": PERSONAL}.get(source, GUESSABLE)
        elif pattern in ("sequence", "repeat", "spatial"):
            reason = PATTERN
        elif pattern in ("date", "regex"):  # regex: a recent year
            reason = DATE
        else:
            continue
        covered[reason] = covered.get(reason, 0) + len(str(match.get("token", "")))
    if not covered:
        return GUESSABLE
    reason, length = max(covered.items(), key=lambda item: item[1])
    return reason if length * 2 >= len(password[:_ANALYSED]) else GUESSABLE


def weakness(password: str, personal: Iterable[str | None] = ()) -> str | None:
    """Why the password is refused (a message id to translate), or ``None`` if it is fine.
    ``personal``: the account's e-mail, name, phone, ID number."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    result = _analyse(password, personal)
    if int(result["score"]) >= MIN_SCORE:
        return None
    return _reason(password, list(result.get("sequence") or []))


def check(password: str, personal: Iterable[str | None] = (), field: str = "password") -> None:
    """Refuse a password that breaks the policy, naming ``field``."""
    reason = weakness(password, personal)
    if reason is not None:
        raise InvalidInput(reason, fields={field: _CODES[reason]})
