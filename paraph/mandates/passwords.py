"""The rules for a signing password (ES-10): at least 12 characters, no
composition rules (NIST SP 800-63B), refused when it is common or looks
breached, or when it is built on the person's own name, e-mail address,
phone, national number, or on "Paraph".

Django's password-validation interface is reused: each rule is a
validator, :func:`signing_password_validate` runs them all and raises one
``ValidationError`` listing every problem, in the person's language.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import MinimumLengthValidator, validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext

MIN_LENGTH = 12
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt"

# What people type for letters ("p4ssw0rd"); undone before comparing.
_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s",
                       "5": "s", "7": "t", "+": "t", "8": "b", "9": "g", "|": "l"})  # fmt: skip
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "qwertzuiopasdfghjklyxcvbnm",
)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The list in ``data/common-passwords.txt`` (read once per process)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _squeeze(value: str) -> str:
    """Lower case, without spaces, punctuation or separators."""
    return re.sub(r"[\W_]+", "", value.lower())


def _variants(password: str) -> set[str]:
    """The forms of ``password`` a guesser would try from a list: as typed,
    without separators, with leetspeak undone, without the digits and
    symbols around it, and the unit of a repetition ("monkeymonkey")."""
    lower = password.lower().strip()
    squeezed = _squeeze(password)
    unleet = _squeeze(lower.translate(_LEET))
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lower)
    variants = {lower, squeezed, unleet, _squeeze(core), _squeeze(core.translate(_LEET))}
    for value in list(variants):
        repeated = re.fullmatch(r"(.+?)\1+", value)
        if repeated:
            variants.add(repeated.group(1))
    variants.discard("")
    return variants


def _is_sequence(value: str) -> bool:
    """A run along the alphabet, the digits or a keyboard row, either way."""
    if len(value) < 4:
        return False
    return any(value in seq or value in seq[::-1] for seq in _SEQUENCES)


class CommonPasswordValidator:
    """Refuses passwords on the list, their variants (separators, leetspeak,
    digits and symbols around them, repetitions), runs along the keyboard
    and passwords of only a few different characters."""

    def validate(self, password: str, user: Any = None) -> None:
        common = common_passwords()
        variants = _variants(password)
        if (
            any(v in common or _is_sequence(v) for v in variants)
            or len(set(_squeeze(password))) < 5
        ):
            raise ValidationError(
                gettext(
                    "This password is too common or too easy to guess: it is on the lists "
                    "that attackers try first. Choose a few unrelated words instead."
                ),
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return gettext("It must not be a common password.")


class PersonalInformationValidator:
    """Refuses a password built on the person's name, e-mail address, phone
    number or national register number, or on the word Paraph."""

    def validate(self, password: str, user: Any = None) -> None:
        flat = _squeeze(password)
        unleet = _squeeze(password.lower().translate(_LEET))
        problems: list[ValidationError] = []
        if any(word in text for text in (flat, unleet) for word in ("paraph", "paraf")):
            problems.append(
                ValidationError(
                    gettext("Your password must not contain the word Paraph."),
                    code="password_paraph",
                )
            )
        if user is not None and any(
            part in text for part in _personal_parts(user) for text in (flat, unleet)
        ):
            problems.append(
                ValidationError(
                    gettext(
                        "Your password must not contain your name, your e-mail address, "
                        "your phone number or your national register number."
                    ),
                    code="password_personal",
                )
            )
        if problems:
            raise ValidationError(problems)

    def get_help_text(self) -> str:
        return gettext("It must not contain your name, e-mail address or phone number.")


def _personal_parts(person: Any) -> set[str]:
    """The pieces of the person's identity a password must not contain."""
    parts: set[str] = set()
    for name in (person.first_name, person.last_name):
        words = re.split(r"[\W_\d]+", (name or "").lower())
        parts.update(w for w in words if len(w) >= 4)
        if len(_squeeze(name or "")) >= 4:
            parts.add(_squeeze(name or ""))
    local = (person.email or "").lower().split("@")[0]
    parts.update(w for w in re.split(r"[\W_\d]+", local) if len(w) >= 4)
    if len(_squeeze(local)) >= 4:
        parts.add(_squeeze(local))
    digits = re.sub(r"\D", "", person.phone or "")
    if len(digits) >= 8:
        parts.add(digits[-8:])  # the number without its country or trunk prefix
    national = re.sub(r"\D", "", person.national_number or "")
    if national:
        parts.update({national, national[:6]})  # the whole number, and the birth date
    return parts


def signing_password_validate(password: str, *, person: Any) -> None:
    """Raise one ``ValidationError`` listing every rule ``password`` breaks
    (too short, too common, built on the person's identity or on Paraph)."""
    if len(password) < MIN_LENGTH:
        # The other rules would only add noise to a password that is too short.
        raise ValidationError(
            ngettext(
                "Your password must have at least %(min)d character.",
                "Your password must have at least %(min)d characters.",
                MIN_LENGTH,
            )
            % {"min": MIN_LENGTH},
            code="password_too_short",
        )
    validate_password(
        password,
        user=person,
        password_validators=[
            MinimumLengthValidator(MIN_LENGTH),
            CommonPasswordValidator(),
            PersonalInformationValidator(),
        ],
    )


def signing_password_problems(password: str, *, person: Any) -> list[str]:
    """What :func:`signing_password_validate` would say about ``password``,
    in the active language; empty when it is accepted. The strength meter
    shows it as the person types: one rule set, the server's."""
    try:
        signing_password_validate(password, person=person)
    except ValidationError as exc:
        return list(exc.messages)
    return []
