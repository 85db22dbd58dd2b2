"""A signature report's problems read in the reader's language on pages,
while ``paraph verify --json`` keeps the engine's English."""

from __future__ import annotations

import html

from django.template import Context, Template
from django.utils import translation

from paraph.signing import engine

PAGE = Template("{% load signing_tags %}{{ problem|problem_text }}")


def _shown(problem: str, language: str) -> str:
    with translation.override(language):
        return html.unescape(PAGE.render(Context({"problem": problem})))


def test_each_problem_reads_in_the_readers_language():
    for language in ("fr", "nl", "de"):
        for problem in (
            engine.PROBLEM_CERTIFICATION,
            engine.PROBLEM_SEED_VALUE,
            engine.PROBLEM_TIMESTAMP,
            engine.PROBLEM_MODIFIED,
            engine.PROBLEM_PARTIAL_COVERAGE,
        ):
            assert _shown(problem, language) != problem, (language, problem)
    assert _shown(engine.PROBLEM_TIMESTAMP, "en") == engine.PROBLEM_TIMESTAMP


def test_a_validators_own_details_stay_after_the_translated_words():
    problem = f"{engine.PROBLEM_UNVALIDATABLE}: bad CMS structure"
    shown = _shown(problem, "fr")
    assert shown.endswith(": bad CMS structure")
    assert not shown.startswith(engine.PROBLEM_UNVALIDATABLE)


def test_an_unknown_problem_is_shown_as_it_is():
    assert _shown("something else entirely", "de") == "something else entirely"
