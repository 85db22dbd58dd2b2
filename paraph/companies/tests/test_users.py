"""A company's users (CO-3) and acting for a company (CO-3, CO-4):
invitations, removal, who may sign, and each refusal naming its check."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.audit.models import AuditEvent
from paraph.companies import services
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.companies.models import CompanyInvitation, CompanyUser
from paraph.companies.services import CompanyRefused

pytestmark = pytest.mark.django_db

INTERIM = "0123456749"


@pytest.fixture
def high(person_factory: Any) -> Any:
    def make(**fields: Any) -> Any:
        values = {
            "assurance_level": AssuranceLevel.HIGH,
            "registration_method": RegistrationMethod.ITSME,
            "language": "en",
            **fields,
        }
        return person_factory(**values)

    return make


@pytest.fixture
def company(high: Any) -> Any:
    services.kbo_import(directory=DEMO_KBO_DIR)
    registered, _ = services.company_register(person=high(), number=INTERIM, language="en")
    return registered


def _invite(company: Any, email: str, national_number: str = "") -> str:
    with translation.override("en"):
        _invitation, token = services.invitation_create(
            company=company,
            person=company.representative,
            email=email,
            national_number=national_number,
        )
    return token


def _refused(call: Any, **kwargs: Any) -> CompanyRefused:
    with translation.override("en"), pytest.raises(CompanyRefused) as caught:
        call(**kwargs)
    return caught.value


def test_an_invited_person_accepts_once_and_becomes_a_user(company, high, deliver):
    invited = high(email="marc@example.be", national_number="85073003328")
    with deliver():
        token = _invite(company, "Marc@Example.be", "85.07.30-033.28")

    [message] = mail.outbox
    link = re.search(r"https?://\S+/company/invitation/\S+/", str(message.body))
    assert message.to == ["marc@example.be"] and link and token in link.group(0)
    assert token not in CompanyInvitation.objects.get().token_hash
    member = services.invitation_accept(token=token, person=invited)
    assert (member.company, member.person, member.can_sign) == (company, invited, False)
    again = _refused(services.invitation_accept, token=token, person=invited)
    assert again.code == "invitation_used" and "already accepted" in again.message
    assert AuditEvent.objects.filter(name="companies.user.invited").count() == 1
    assert AuditEvent.objects.get(name="companies.user.added").actor_id == invited.pk


def test_an_invitation_is_bound_to_its_email_and_national_number(company, high):
    token = _invite(company, "marc@example.be", "85073003328")
    stranger = high(email="eve@example.be")
    namesake = high(email="marc@example.be", national_number="90020199707")

    other_mail = _refused(services.invitation_accept, token=token, person=stranger)
    other_nn = _refused(services.invitation_accept, token=token, person=namesake)

    assert other_mail.code == "invitation_other" and "another e-mail address" in other_mail.message
    assert other_nn.code == "invitation_other" and "national register number" in other_nn.message
    assert not CompanyUser.objects.exists()


def test_an_expired_or_unknown_invitation_is_refused(company, high):
    token = _invite(company, "marc@example.be")
    CompanyInvitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    invited = high(email="marc@example.be")

    expired = _refused(services.invitation_accept, token=token, person=invited)
    unknown = _refused(services.invitation_accept, token="nope", person=invited)

    assert expired.code == "invitation_expired" and "expired" in expired.message
    assert unknown.code == "invitation_unknown"
    assert not CompanyUser.objects.exists()


def test_an_invited_person_without_itsme_or_eid_cannot_accept(company, person_factory):
    token = _invite(company, "marc@example.be")
    low = person_factory(email="marc@example.be", language="en")

    refusal = _refused(services.invitation_accept, token=token, person=low)

    assert refusal.code == "assurance" and "itsme or the eID card" in refusal.message
    assert not CompanyUser.objects.exists()


def test_bad_invitations_are_refused_and_send_nothing(company, high):
    user = high(email="marc@example.be")
    services.invitation_accept(token=_invite(company, "marc@example.be"), person=user)
    outsider = high()

    cases = [
        ({"email": "not-an-address"}, "email", "like name@example.be"),
        ({"email": "x@example.be", "national_number": "123"}, "national_number", ""),
        ({"email": "MARC@example.be"}, "already_user", "already acts for"),
    ]
    for fields, code, says in cases:
        refusal = _refused(
            services.invitation_create, company=company, person=company.representative, **fields
        )
        assert refusal.code == code and says in refusal.message
    by_user = _refused(
        services.invitation_create, company=company, person=outsider, email="y@example.be"
    )
    assert by_user.code == "not_representative"
    assert CompanyInvitation.objects.count() == 1
    assert AuditEvent.objects.filter(name="companies.user.invited").count() == 1


def test_the_representative_lets_a_user_sign_then_removes_them(company, high):
    user = high(email="marc@example.be")
    member = services.invitation_accept(token=_invite(company, "marc@example.be"), person=user)
    rep = company.representative

    services.company_user_set_signer(company=company, person=rep, user_id=member.pk, can_sign=True)
    member.refresh_from_db()
    assert member.can_sign
    not_rep = _refused(
        services.company_user_remove, company=company, person=user, user_id=member.pk
    )
    assert not_rep.code == "not_representative"
    services.company_user_remove(company=company, person=rep, user_id=member.pk)

    assert not CompanyUser.objects.exists()
    assert AuditEvent.objects.get(name="companies.user.signing_changed").data["can_sign"] is True
    assert AuditEvent.objects.get(name="companies.user.removed").data["person"] == user.pk


# --- each refusal of CO-3/CO-4 names the check that failed, in each language ---

LANGUAGES = ["en", "fr", "nl", "de"]

# What the person reads, in full: a missing or wrong translation fails here.
REFUSALS: dict[str, dict[str, str]] = {
    "not_registered": {
        "en": "The company 0403.170.701 is not registered on Paraph.",
        "fr": "L'entreprise 0403.170.701 n'est pas enregistrée sur Paraph.",
        "nl": "De onderneming 0403.170.701 is niet geregistreerd op Paraph.",
        "de": "Das Unternehmen 0403.170.701 ist nicht auf Paraph registriert.",
    },
    "not_member": {
        "en": (
            "You are neither the digital representative nor a user of Intérim Demo (0123.456.749)."
        ),
        "fr": (
            "Vous ne représentez pas numériquement l'entreprise Intérim Demo (0123.456.749) et "
            "vous ne faites pas partie de ses utilisateurs."
        ),
        "nl": (
            "U bent noch de digitale vertegenwoordiger noch een gebruiker van Intérim Demo "
            "(0123.456.749)."
        ),
        "de": (
            "Sie sind weder die digitale Vertretung noch ein Benutzer von Intérim Demo "
            "(0123.456.749)."
        ),
    },
    "unfinished": {
        "en": (
            "You have not accepted your invitation to act for Intérim Demo (0123.456.749) yet: "
            "open the link in the e-mail you received."
        ),
        "fr": (
            "Vous n'avez pas encore accepté l'invitation à agir pour Intérim Demo "
            "(0123.456.749)\u00a0: ouvrez le lien de l'e-mail que vous avez reçu."
        ),
        "nl": (
            "U hebt de uitnodiging om voor Intérim Demo (0123.456.749) op te treden nog niet "
            "aanvaard: open de link in de e-mail die u hebt ontvangen."
        ),
        "de": (
            "Sie haben die Einladung, für Intérim Demo (0123.456.749) zu handeln, noch nicht "
            "angenommen: Öffnen Sie den Link in der E-Mail, die Sie erhalten haben."
        ),
    },
    "not_representative": {
        "en": "Only the digital representative of Intérim Demo (0123.456.749) manages its users.",
        "fr": (
            "Seule la personne qui représente numériquement l'entreprise Intérim Demo "
            "(0123.456.749) gère ses utilisateurs."
        ),
        "nl": (
            "Alleen de digitale vertegenwoordiger van Intérim Demo (0123.456.749) beheert de "
            "gebruikers ervan."
        ),
        "de": (
            "Nur die digitale Vertretung von Intérim Demo (0123.456.749) verwaltet die Benutzer "
            "des Unternehmens."
        ),
    },
    "already_user": {
        "en": "This person already acts for Intérim Demo (0123.456.749).",
        "fr": "Cette personne agit déjà pour Intérim Demo (0123.456.749).",
        "nl": "Deze persoon treedt al op voor Intérim Demo (0123.456.749).",
        "de": "Diese Person handelt bereits für Intérim Demo (0123.456.749).",
    },
    "invitation_unknown": {
        "en": "This invitation link is not valid.",
        "fr": "Ce lien d'invitation n'est pas valable.",
        "nl": "Deze uitnodigingslink is niet geldig.",
        "de": "Dieser Einladungslink ist ungültig.",
    },
    "invitation_used": {
        "en": "This invitation was already accepted.",
        "fr": "Cette invitation a déjà été acceptée.",
        "nl": "Deze uitnodiging werd al aanvaard.",
        "de": "Diese Einladung wurde bereits angenommen.",
    },
    "invitation_expired": {
        "en": "This invitation has expired: ask the digital representative for a new one.",
        "fr": (
            "Cette invitation a expiré\u00a0: demandez-en une nouvelle à la personne qui "
            "représente numériquement l'entreprise."
        ),
        "nl": "Deze uitnodiging is verlopen: vraag de digitale vertegenwoordiger om een nieuwe.",
        "de": "Diese Einladung ist abgelaufen: Bitten Sie die digitale Vertretung um eine neue.",
    },
    "invitation_other_email": {
        "en": (
            "This invitation was sent to another e-mail address. Log in with the account of that "
            "address to accept it."
        ),
        "fr": (
            "Cette invitation a été envoyée à une autre adresse e-mail. Connectez-vous avec le "
            "compte de cette adresse pour l'accepter."
        ),
        "nl": (
            "Deze uitnodiging werd naar een ander e-mailadres gestuurd. Meld u aan met de "
            "account van dat adres om ze te aanvaarden."
        ),
        "de": (
            "Diese Einladung wurde an eine andere E-Mail-Adresse gesendet. Melden Sie sich mit "
            "dem Konto dieser Adresse an, um sie anzunehmen."
        ),
    },
    "invitation_other_person": {
        "en": "This invitation is for another person (the national register number differs).",
        "fr": (
            "Cette invitation est destinée à une autre personne (le numéro de registre national "
            "diffère)."
        ),
        "nl": (
            "Deze uitnodiging is voor een andere persoon bestemd (het rijksregisternummer "
            "verschilt)."
        ),
        "de": (
            "Diese Einladung ist für eine andere Person bestimmt (die Nationalregisternummer "
            "stimmt nicht überein)."
        ),
    },
    "assurance": {
        "en": (
            "To act for a company you must be registered with itsme or the eID card. Contact the "
            "contact centre to confirm your identity that way."
        ),
        "fr": (
            "Pour agir pour une entreprise, votre enregistrement doit avoir été fait avec itsme "
            "ou la carte eID. Contactez le centre de contact pour confirmer votre identité de "
            "cette manière."
        ),
        "nl": (
            "Om voor een onderneming op te treden, moet u geregistreerd zijn met itsme of de "
            "eID-kaart. Neem contact op met het contactcenter om uw identiteit op die manier te "
            "bevestigen."
        ),
        "de": (
            "Um für ein Unternehmen zu handeln, müssen Sie mit itsme oder der eID-Karte "
            "registriert sein. Wenden Sie sich an das Kontaktcenter, um Ihre Identität auf diese "
            "Weise zu bestätigen."
        ),
    },
    "no_user": {
        "en": "This person is not a user of the company.",
        "fr": "Cette personne ne fait pas partie des utilisateurs de l'entreprise.",
        "nl": "Deze persoon is geen gebruiker van de onderneming.",
        "de": "Diese Person ist kein Benutzer des Unternehmens.",
    },
}


def _refused_in(language: str, call: Any, **kwargs: Any) -> CompanyRefused:
    with translation.override(language), pytest.raises(CompanyRefused) as caught:
        call(**kwargs)
    return caught.value


@pytest.mark.parametrize("language", LANGUAGES)
def test_acting_for_a_company_not_registered_on_paraph(company, high, language):
    refusal = _refused_in(language, services.acting_check, person=high(), number="0403170701")

    assert refusal.code == "not_registered"
    assert refusal.message == REFUSALS["not_registered"][language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_acting_for_a_company_one_neither_represents_nor_uses(company, high, language):
    refusal = _refused_in(language, services.acting_check, person=high(), number=INTERIM)

    assert refusal.code == "not_member"
    assert refusal.message == REFUSALS["not_member"][language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_acting_for_a_company_before_accepting_its_invitation(company, high, language):
    invited = high(email="marc@example.be")
    _invite(company, "marc@example.be")

    refusal = _refused_in(language, services.acting_check, person=invited, number=INTERIM)

    assert refusal.code == "unfinished"
    assert refusal.message == REFUSALS["unfinished"][language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_invitation_and_user_refusal_reads_in_each_language(
    company, high, person_factory, language
):
    user = high(email="marc@example.be")
    used = _invite(company, "marc@example.be")
    services.invitation_accept(token=used, person=user)
    bound = _invite(company, "lea@example.be", "85073003328")
    late = _invite(company, "tom@example.be")
    CompanyInvitation.objects.filter(email="tom@example.be").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    unverified = _invite(company, "ann@example.be")
    rep = company.representative

    def read(call: Any, **kwargs: Any) -> tuple[str, str]:
        refusal = _refused_in(language, call, **kwargs)
        return refusal.code, refusal.message

    invite, accept = services.invitation_create, services.invitation_accept
    said = {
        "not_representative": read(invite, company=company, person=user, email="y@example.be"),
        "already_user": read(invite, company=company, person=rep, email="marc@example.be"),
        "invitation_unknown": read(accept, token="nope", person=user),
        "invitation_used": read(accept, token=used, person=user),
        "invitation_expired": read(accept, token=late, person=high(email="tom@example.be")),
        "invitation_other_email": read(accept, token=bound, person=high(email="eve@example.be")),
        "invitation_other_person": read(
            accept, token=bound, person=high(email="lea@example.be", national_number="90020199707")
        ),
        "assurance": read(accept, token=unverified, person=person_factory(email="ann@example.be")),
        "no_user": read(
            services.company_user_remove, company=company, person=rep, user_id=user.pk + 1000
        ),
    }

    assert {name: message for name, (_code, message) in said.items()} == {
        name: REFUSALS[name][language] for name in said
    }
    assert [code for code, _message in said.values()] == [
        "not_representative",
        "already_user",
        "invitation_unknown",
        "invitation_used",
        "invitation_expired",
        "invitation_other",
        "invitation_other",
        "assurance",
        "no_user",
    ]


def test_the_representative_and_a_user_may_act(company, high):
    user = high(email="marc@example.be")
    services.invitation_accept(token=_invite(company, "marc@example.be"), person=user)

    assert services.acting_check(person=company.representative, number=INTERIM) == company
    assert services.acting_check(person=user, number=INTERIM) == company


# --- pages ---------------------------------------------------------------------


def _logged_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_after_log_in_a_person_with_companies_chooses_for_whom_they_act(company):
    client = _logged_in(company.representative)

    landing = client.get("/adminbox/")
    chooser = client.get(landing["Location"])
    chosen = client.post("/company/act/", {"as": INTERIM, "next": "/adminbox/"})
    page = client.get("/adminbox/")

    assert landing.status_code == 302 and landing["Location"].startswith("/company/act/")
    assert "For whom do you act?" in chooser.content.decode()
    assert chosen["Location"] == "/adminbox/"
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(rf'<option value="{INTERIM}"\s+selected>', html)
    assert '<label for="acting-select">Acting for</label>' in html


def test_a_person_without_companies_is_not_asked(high, db):
    client = _logged_in(high())

    assert client.get("/adminbox/").status_code == 200
    assert "acting-select" not in client.get("/adminbox/").content.decode()


def test_choosing_a_company_one_may_not_act_for_says_why(company, high):
    client = _logged_in(high(language="en"))

    response = client.post("/company/act/", {"as": INTERIM})

    assert response.status_code == 403
    assert "You are neither the digital representative nor a user" in response.content.decode()
    assert not client.session.get("paraph_acting_for")


def test_a_user_removed_while_acting_has_their_next_request_refused(company, high):
    user = high(email="marc@example.be")
    member = services.invitation_accept(token=_invite(company, "marc@example.be"), person=user)
    client = _logged_in(user)
    client.post("/company/act/", {"as": INTERIM, "next": "/adminbox/"})
    assert client.get("/adminbox/").status_code == 200

    services.company_user_remove(company=company, person=company.representative, user_id=member.pk)
    refused = client.get("/adminbox/")

    assert refused.status_code == 403
    assert "You are neither the digital representative nor a user of Intérim Demo" in (
        refused.content.decode()
    )
    assert client.get("/adminbox/").status_code == 200  # acting for themselves again


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_representative_invites_and_manages_users_through_the_page(
    company, high, language, deliver
):
    company.representative.language = language
    company.representative.save(update_fields=["language"])
    client = _logged_in(company.representative)
    url = f"/company/{INTERIM}/users/"

    bad = client.post(url, {"action": "invite", "email": "nope"})
    with deliver():
        sent = client.post(url, {"action": "invite", "email": "marc@example.be"}, follow=True)

    assert bad.status_code == 400
    assert f'<html lang="{language}">' in bad.content.decode()
    assert 'id="id_email_error"' in bad.content.decode()
    assert sent.status_code == 200 and "marc@example.be" in sent.content.decode()
    assert CompanyInvitation.objects.get().email == "marc@example.be"
    assert len(mail.outbox) == 1


def test_the_invitation_page_asks_to_log_in_then_accepts(company, high, deliver):
    with deliver():
        token = _invite(company, "marc@example.be")
    url = f"/company/invitation/{token}/"
    invited = high(email="marc@example.be")

    anonymous = Client().get(url)
    client = _logged_in(invited)
    accepted = client.post(url)
    replay = client.post(url)

    assert "/account/login/?next=" in anonymous.content.decode()
    assert accepted.status_code == 302
    assert CompanyUser.objects.get().person == invited
    assert client.session["paraph_acting_for"] == INTERIM
    assert replay.status_code == 410


def test_the_users_page_costs_the_same_queries_for_1_and_for_6_users(
    company, high, django_assert_num_queries
):
    def add_user() -> None:
        person = high()
        services.invitation_accept(token=_invite(company, person.email), person=person)

    add_user()
    client = _logged_in(company.representative)
    url = f"/company/{INTERIM}/users/"
    client.get(url)  # warm up (session, the choice of whom to act for)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(5):
        add_user()

    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url)

    assert page.content.decode().count('name="action" value="remove"') == 6


def test_a_user_sees_the_company_in_their_list_but_cannot_manage_it(company, high):
    user = high(email="marc@example.be")
    services.invitation_accept(token=_invite(company, "marc@example.be"), person=user)
    client = _logged_in(user)

    listing = client.get("/company/").content.decode()
    users = client.get(f"/company/{INTERIM}/users/").content.decode()
    post = client.post(f"/company/{INTERIM}/users/", {"action": "invite", "email": "x@example.be"})

    assert "Intérim Demo (0123.456.749)" in listing and "You are one of its users." in listing
    assert "Invite a user" not in users
    assert post.status_code == 403
    assert not CompanyInvitation.objects.filter(email="x@example.be").exists()


def test_removing_someone_who_is_not_a_user_says_so_and_changes_nothing(company, high):
    user = high(email="marc@example.be")
    member = services.invitation_accept(token=_invite(company, "marc@example.be"), person=user)
    client = _logged_in(company.representative)
    url = f"/company/{INTERIM}/users/"

    unknown = client.post(url, {"action": "remove", "user": str(member.pk + 1000)})
    garbled = client.post(url, {"action": "remove", "user": "x"})

    for response in (unknown, garbled):
        assert response.status_code == 400
        assert "This person is not a user of the company." in response.content.decode()
    assert CompanyUser.objects.get() == member
    assert not AuditEvent.objects.filter(name="companies.user.removed").exists()


def test_what_is_done_on_the_company_pages_is_audited_with_the_address_it_came_from(
    company, high, deliver
):
    """Who acted, for whom, and from where: the choice of whom one acts for
    and the representative's changes carry the request's address."""
    from paraph.audit.models import AuditEvent

    client = Client(REMOTE_ADDR="198.51.100.7")
    client.force_login(company.representative)

    client.post("/company/act/", {"as": INTERIM, "next": "/adminbox/"})
    client.post("/company/act/", {"as": "", "next": "/adminbox/"})
    with deliver():
        client.post(f"/company/{INTERIM}/users/", {"action": "invite", "email": "marc@example.be"})

    chosen = list(AuditEvent.objects.filter(name="companies.acting.chosen").order_by("created_at"))
    invited = AuditEvent.objects.get(name="companies.user.invited")
    assert [e.data["number"] for e in chosen] == [INTERIM, None]
    assert {e.ip for e in [*chosen, invited]} == {"198.51.100.7"}
    assert all(e.actor_id == company.representative.pk for e in [*chosen, invited])
