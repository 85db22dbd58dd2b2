"""The translations: complete catalogues, and pages that read in French,
Dutch and German with no English left over.

English is the source language (its catalogue stays empty). The catalogues
are made and checked with::

    cd paraph && ../.venv/bin/paraph makemessages -l fr -l nl -l de -l en \\
        --no-obsolete -i "*/tests/*" -i "test_settings.py"
    ../.venv/bin/paraph compilemessages

A string added to the code without a translation shows here as an
untranslated (or, after makemessages, fuzzy) message.
"""

from __future__ import annotations

import gettext
import html
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from paraph.notifications.rendering import render_email, render_sms

LOCALE = Path(django_settings.BASE_DIR) / "locale"
TRANSLATED = ["fr", "nl", "de"]

# One phrase per page that a reader meets first, in English and as translated.
PAGES: dict[str, dict[str, str]] = {
    "/": {
        "en": "Your documents, signed online",
        "fr": "Vos documents, signés en ligne",
        "nl": "Uw documenten, online ondertekend",
        "de": "Ihre Dokumente, online unterzeichnet",
    },
    "/account/login/": {
        "en": "Send me a code",
        "fr": "Envoyez-moi un code",
        "nl": "Stuur mij een code",
        "de": "Code anfordern",
    },
    "/account/register/": {
        "en": "Three ways to register",
        "fr": "Trois façons de vous enregistrer",
        "nl": "Drie manieren om u te registreren",
        "de": "Drei Möglichkeiten der Registrierung",
    },
    "/support/contact/": {
        "en": "Send my message",
        "fr": "Envoyer mon message",
        "nl": "Mijn bericht versturen",
        "de": "Meine Nachricht senden",
    },
}
# Every page has the footer: the contact centre and its opening days.
FOOTER = {
    "en": "Monday to Friday",
    "fr": "du lundi au vendredi",
    "nl": "van maandag tot vrijdag",
    "de": "Montag bis Freitag",
}

# The GSM 03.38 basic alphabet (one character each) and its extension
# (two each): an SMS in these alone fits 160 characters in one segment,
# one character outside them (ê, ç, ë, a non-breaking space...) drops the
# segment to 70.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€")


def _msgfmt() -> str:
    path = shutil.which("msgfmt")
    if path is None:
        pytest.skip("msgfmt (gettext) is not installed: make test installs it")
    return path


@pytest.fixture(scope="module")
def compiled_locale(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed catalogues compiled afresh, so a stale or missing .mo
    in the working tree cannot hide a problem."""
    msgfmt = _msgfmt()
    root = tmp_path_factory.mktemp("locale")
    for po in LOCALE.glob("*/LC_MESSAGES/django.po"):
        target = root / po.relative_to(LOCALE).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [msgfmt, "--check", "-o", str(target), str(po)], check=True, capture_output=True
        )
    return root


@pytest.fixture
def fresh_translations(settings: Any, compiled_locale: Path) -> Path:
    settings.LOCALE_PATHS = [compiled_locale]  # also resets Django's catalogue cache
    return compiled_locale


def _source_phrases(compiled_locale: Path, language: str) -> list[str]:
    """English source sentences of ``language``'s catalogue that differ from
    their translation: any of them on a page is English left over."""
    with open(compiled_locale / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        catalog: dict[Any, str] = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    phrases = []
    for key, text in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if (
            msgid
            and msgid != text
            and len(msgid.split()) >= 3
            and "%" not in msgid
            and "{" not in msgid
            and "<" not in msgid
        ):
            phrases.append(msgid)
    return sorted(set(phrases))


def _page_text(content: bytes) -> str:
    """What a reader sees: tags removed, entities decoded, spaces folded
    (non-breaking ones included)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", content.decode(), flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.split())


# --- The catalogues ----------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_is_complete_with_no_fuzzy_message_and_no_error(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    assert po.exists(), f"{po} is missing: run makemessages (see this module's docstring)"
    result = subprocess.run(
        [_msgfmt(), "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, report
    assert "translated message" in report, report
    assert "fuzzy" not in report, report
    assert "untranslated" not in report, report
    assert "error" not in report.lower(), report


def test_the_english_catalogue_is_the_source_and_stays_empty():
    po = (LOCALE / "en" / "LC_MESSAGES" / "django.po").read_text()
    filled = [
        line
        for line in po.splitlines()
        if line.startswith("msgstr") and line not in {'msgstr ""', 'msgstr[0] ""', 'msgstr[1] ""'}
    ]
    assert filled == []


# --- Pages ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("path", list(PAGES))
def test_the_page_reads_in_the_chosen_language(client, fresh_translations, path, language):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)

    assert response.status_code == 200
    content = response.content.decode()
    assert f'<html lang="{language}">' in content
    text = _page_text(response.content)
    assert PAGES[path][language] in text
    assert PAGES[path]["en"] not in text
    assert FOOTER[language] in text
    assert FOOTER["en"] not in text
    leftovers = [p for p in _source_phrases(fresh_translations, language) if p in text]
    assert leftovers == [], f"English left on {path} in {language}: {leftovers}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", list(PAGES))
def test_english_stays_available(client, fresh_translations, path):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(path)

    assert response.status_code == 200
    assert PAGES[path]["en"] in _page_text(response.content)


# --- Messages -------------------------------------------------------------------


@pytest.mark.parametrize("language", [*TRANSLATED, "en"])
@pytest.mark.parametrize(
    "template", ["login_code", "verify_code", "mandate_code", "test_code", "test_message"]
)
@pytest.mark.parametrize("minutes", [1, 10, 60])
def test_an_sms_fits_one_segment_in_every_language(fresh_translations, template, language, minutes):
    text = render_sms(
        template, {"code": "123456", "minutes": minutes, "name": "Anne Martin"}, language
    )

    outside = sorted({c for c in text if c not in GSM7 and c not in GSM7_EXTENSION})
    assert outside == [], f"{text!r} needs UCS-2 for {outside}"
    assert len(text) + sum(c in GSM7_EXTENSION for c in text) <= 160, text
    if language != "en":
        with translation.override("en"):
            english = render_sms(template, {"code": "123456", "minutes": minutes}, "en")
        assert text != english


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        ("fr", "Votre code de vérification Paraph", "Il est valable 10 minutes"),
        ("nl", "Uw Paraph-verificatiecode", "Hij is 10 minuten geldig"),
        ("de", "Ihr Paraph-Bestätigungscode", "Er ist 10 Minuten gültig"),
    ],
)
def test_an_email_is_written_in_the_recipients_language(
    fresh_translations, language, subject, line
):
    rendered = render_email("verify_code", {"code": "123456", "minutes": 10}, language)

    assert rendered.subject == subject
    assert line in rendered.text
    assert line in rendered.html
    assert "Never share this code" not in rendered.text
