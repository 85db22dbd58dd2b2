"""Rendering messages: text parts are not HTML-escaped, an SMS is one line."""

from __future__ import annotations

from paraph.notifications.rendering import render_email, render_sms


def test_the_text_part_and_subject_are_not_html_escaped_and_the_html_part_is():
    rendered = render_email("test_message", {"name": "Tom & Jerry's <shop>"}, "en")

    assert rendered.subject == "Test message for Tom & Jerry's <shop>"
    assert "Hello Tom & Jerry's <shop>," in rendered.text
    assert "Hello Tom &amp; Jerry&#x27;s &lt;shop&gt;," in rendered.html
    assert "\n\n\n" not in rendered.text


def test_an_sms_is_one_line_whatever_its_context_holds():
    assert render_sms("test_code", {"code": "123\n\n456"}, "en") == (
        "Your Paraph code is 123 456. Never share it."
    )
