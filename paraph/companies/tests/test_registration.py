"""Registering a company (CO-1) and correcting its data (CO-2): services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import translation

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.audit.models import AuditEvent
from paraph.companies import services
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.companies.models import (
    CorrectionRequest,
    Intermediary,
    IntermediaryClient,
    RegisteredCompany,
)
from paraph.companies.services import CompanyRefused
from paraph.companies.tests.conftest import read_csv, write_csv
from paraph.core.roles import AGENTS

pytestmark = pytest.mark.django_db

INTERIM = "0123456749"
LANGUAGES = ["en", "fr", "nl", "de"]

# What the person reads, in full, in each language: a missing or wrong
# translation fails here. In "taken", Anne Peeters represents Intérim Demo.
REFUSALS: dict[str, dict[str, str]] = {
    "assurance": {
        "en": (
            "Only a person registered with itsme or the eID card can register a company. Your "
            "account was opened another way (video identification, the contact centre): contact "
            "the contact centre, who will tell you how to confirm your identity with itsme or "
            "your eID card."
        ),
        "fr": (
            "Seule une personne enregistrée avec itsme ou la carte eID peut enregistrer une "
            "entreprise. Votre compte a été ouvert autrement (identification vidéo, centre de "
            "contact)\u00a0: contactez le centre de contact, qui vous indiquera comment "
            "confirmer votre identité avec itsme ou votre carte eID."
        ),
        "nl": (
            "Alleen een persoon die met itsme of de eID-kaart geregistreerd is, kan een "
            "onderneming registreren. Uw account werd op een andere manier geopend "
            "(video-identificatie, het contactcenter): neem contact op met het contactcenter, "
            "dat u uitlegt hoe u uw identiteit met itsme of uw eID-kaart bevestigt."
        ),
        "de": (
            "Nur eine mit itsme oder der eID-Karte registrierte Person kann ein Unternehmen "
            "registrieren. Ihr Konto wurde auf andere Weise eröffnet (Video-Identifizierung, "
            "Kontaktcenter): Wenden Sie sich an das Kontaktcenter, das Ihnen erklärt, wie Sie "
            "Ihre Identität mit itsme oder Ihrer eID-Karte bestätigen."
        ),
    },
    "unknown": {
        "en": (
            "The company register (Crossroads Bank for Enterprises) has no active company with "
            "number 0403.617.097. Check the number on your company's documents."
        ),
        "fr": (
            "Le registre des entreprises (Banque-Carrefour des Entreprises) ne contient aucune "
            "entreprise active portant le numéro 0403.617.097. Vérifiez le numéro sur les "
            "documents de votre entreprise."
        ),
        "nl": (
            "Het ondernemingsregister (Kruispuntbank van Ondernemingen) bevat geen actieve "
            "onderneming met nummer 0403.617.097. Controleer het nummer op de documenten van uw "
            "onderneming."
        ),
        "de": (
            "Das Unternehmensregister (Zentrale Datenbank der Unternehmen) enthält kein aktives "
            "Unternehmen mit der Nummer 0403.617.097. Prüfen Sie die Nummer auf den Dokumenten "
            "Ihres Unternehmens."
        ),
    },
    "stopped": {
        "en": (
            "The company 0123.456.749 has stopped or is stopping according to the company "
            "register (code 006): it cannot be registered."
        ),
        "fr": (
            "Selon le registre des entreprises, l'entreprise 0123.456.749 a cessé ou cesse ses "
            "activités (code 006)\u00a0: elle ne peut pas être enregistrée."
        ),
        "nl": (
            "Volgens het ondernemingsregister is de onderneming 0123.456.749 gestopt of aan het "
            "stoppen (code 006): ze kan niet worden geregistreerd."
        ),
        "de": (
            "Laut Unternehmensregister hat das Unternehmen 0123.456.749 seine Tätigkeit "
            "eingestellt oder stellt sie ein (Code 006): Es kann nicht registriert werden."
        ),
    },
    "taken": {
        "en": (
            "The company 0123.456.749 is already registered on Paraph. To act for it, ask its "
            "digital representative (Anne Peeters) to invite you; if the representative must "
            "change, contact the contact centre."
        ),
        "fr": (
            "L'entreprise 0123.456.749 est déjà enregistrée sur Paraph. Pour agir en son nom, "
            "demandez à la personne qui la représente numériquement (Anne Peeters) de vous "
            "inviter\u00a0; si cette personne doit changer, contactez le centre de contact."
        ),
        "nl": (
            "De onderneming 0123.456.749 is al geregistreerd op Paraph. Om voor haar op te "
            "treden, vraagt u haar digitale vertegenwoordiger (Anne Peeters) om u uit te "
            "nodigen; moet de vertegenwoordiger veranderen, neem dan contact op met het "
            "contactcenter."
        ),
        "de": (
            "Das Unternehmen 0123.456.749 ist bereits auf Paraph registriert. Um für das "
            "Unternehmen zu handeln, bitten Sie seine digitale Vertretung (Anne Peeters), Sie "
            "einzuladen; wenn die Vertretung wechseln muss, wenden Sie sich an das Kontaktcenter."
        ),
    },
    "taken_by_you": {
        "en": (
            "You already registered the company 0123.456.749: you are its digital representative."
        ),
        "fr": (
            "Vous avez déjà enregistré l'entreprise 0123.456.749\u00a0: c'est vous qui la "
            "représentez numériquement."
        ),
        "nl": (
            "U hebt de onderneming 0123.456.749 al geregistreerd: u bent haar digitale "
            "vertegenwoordiger."
        ),
        "de": (
            "Sie haben das Unternehmen 0123.456.749 bereits registriert: Sie sind seine digitale "
            "Vertretung."
        ),
    },
    "empty": {
        "en": "Say what is wrong in the company's data.",
        "fr": "Indiquez ce qui est faux dans les données de l'entreprise.",
        "nl": "Zeg wat er fout is in de gegevens van de onderneming.",
        "de": "Sagen Sie, was an den Daten des Unternehmens falsch ist.",
    },
    "not_allowed": {
        "en": "You may not decide on this company's correction requests.",
        "fr": "Vous ne pouvez pas statuer sur les demandes de correction de cette entreprise.",
        "nl": "U mag niet beslissen over de correctieverzoeken van deze onderneming.",
        "de": "Sie dürfen nicht über die Korrekturanträge dieses Unternehmens entscheiden.",
    },
    "no_reason": {
        "en": "Give the reason for your decision.",
        "fr": "Indiquez le motif de votre décision.",
        "nl": "Geef de reden van uw beslissing op.",
        "de": "Geben Sie die Begründung Ihrer Entscheidung an.",
    },
    "decided": {
        "en": "This correction request was already decided.",
        "fr": "Il a déjà été statué sur cette demande de correction.",
        "nl": "Over dit correctieverzoek werd al beslist.",
        "de": "Über diesen Korrekturantrag wurde bereits entschieden.",
    },
}


@pytest.fixture
def register(db: Any) -> None:
    services.kbo_import(directory=DEMO_KBO_DIR)


@pytest.fixture
def high(person_factory: Any) -> Any:
    return person_factory(
        assurance_level=AssuranceLevel.HIGH, registration_method=RegistrationMethod.ITSME
    )


def _refusal(person: Any, number: str, language: str = "en") -> CompanyRefused:
    with translation.override(language), pytest.raises(CompanyRefused) as caught:
        services.company_register(person=person, number=number, language=language)
    return caught.value


def test_a_person_registered_with_itsme_registers_a_company_in_any_accepted_form(register, high):
    company, correction = services.company_register(
        person=high, number="BE 0123.456.749", language="fr"
    )

    assert (company.number, company.name, company.representative) == (INTERIM, "Intérim Demo", high)
    assert correction is None
    event = AuditEvent.objects.get(name="companies.company.registered")
    assert (event.actor_id, event.subject_id, event.data["number"]) == (
        high.pk,
        str(company.pk),
        INTERIM,
    )


def test_the_check_shows_the_registry_data_without_registering(register, high):
    data = services.company_check(person=high, number="0123 456 749")

    assert data.name("nl") == "Interim Demo"
    assert data.registered_address is not None
    assert not RegisteredCompany.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("level", "method"),
    [
        (AssuranceLevel.SUBSTANTIAL, RegistrationMethod.IDNOW),
        (AssuranceLevel.LOW, RegistrationMethod.BACKOFFICE),
        (AssuranceLevel.LOW, RegistrationMethod.DEMO),
    ],
)
def test_a_person_without_high_assurance_is_told_how_to_get_it(
    register, person_factory, level, method, language
):
    person = person_factory(assurance_level=level, registration_method=method)

    refusal = _refusal(person, INTERIM, language)

    assert refusal.code == "assurance"
    assert refusal.message == REFUSALS["assurance"][language]
    assert not RegisteredCompany.objects.exists()


@pytest.mark.parametrize(
    ("number", "says"),
    [
        ("0123.456.748", "check the last two digits"),
        ("12345", "10 digits"),
        ("", "Enter the enterprise number"),
    ],
)
def test_an_invalid_number_is_refused(register, high, number, says):
    refusal = _refusal(high, number)

    assert refusal.code == "invalid" and says in refusal.message
    assert not RegisteredCompany.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_company_is_refused(register, high, language):
    refusal = _refusal(high, "0403.617.097", language)

    assert refusal.code == "unknown"
    assert refusal.message == REFUSALS["unknown"][language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_company_in_liquidation_is_refused(high, sample_copy, language):
    path = sample_copy / "enterprise.csv"
    rows = read_csv(path)
    for row in rows[1:]:
        if row[0] == "0123.456.749":
            row[2] = "006"
    write_csv(path, rows[0], rows[1:])
    services.kbo_import(directory=sample_copy)

    refusal = _refusal(high, INTERIM, language)

    assert refusal.code == "stopped"
    # "006" has no description in the sample: named as a code, not shown bare
    assert refusal.message == REFUSALS["stopped"][language]
    assert not RegisteredCompany.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_company_already_registered_names_whom_to_ask(register, person_factory, language):
    anne = person_factory(
        first_name="Anne",
        last_name="Peeters",
        assurance_level=AssuranceLevel.HIGH,
        registration_method=RegistrationMethod.ITSME,
    )
    services.company_register(person=anne, number=INTERIM, language="fr")
    other = person_factory(
        assurance_level=AssuranceLevel.HIGH, registration_method=RegistrationMethod.EID
    )

    refusal = _refusal(other, INTERIM, language)
    again = _refusal(anne, INTERIM, language)

    assert (refusal.code, refusal.message) == ("taken", REFUSALS["taken"][language])
    assert (again.code, again.message) == ("taken", REFUSALS["taken_by_you"][language])
    assert RegisteredCompany.objects.get().representative == anne
    assert AuditEvent.objects.filter(name="companies.company.registered").count() == 1


def test_wrong_data_files_a_correction_for_the_contact_centre(register, high):
    company, correction = services.company_register(
        person=high, number=INTERIM, language="fr", correction="  The address moved.  "
    )

    assert correction is not None
    assert (correction.company, correction.text, correction.status) == (
        company,
        "The address moved.",
        CorrectionRequest.Status.OPEN,
    )
    assert correction.intermediary is None
    event = AuditEvent.objects.get(name="companies.correction.filed")
    assert event.data["queue"] == "contact_centre"


def test_a_company_with_an_intermediary_sends_its_correction_there(register, high):
    broker = Intermediary.objects.create(name="Courtier SA")
    IntermediaryClient.objects.create(intermediary=broker, number=INTERIM)

    _company, correction = services.company_register(
        person=high, number=INTERIM, language="fr", correction="Wrong name"
    )

    assert correction is not None and correction.intermediary == broker
    event = AuditEvent.objects.get(name="companies.correction.filed")
    assert event.data["queue"] == f"intermediary:{broker.pk}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_empty_correction_is_refused(register, high, language):
    company, _ = services.company_register(person=high, number=INTERIM, language="fr")

    with translation.override(language), pytest.raises(CompanyRefused) as caught:
        services.correction_file(company=company, person=high, text="   ")

    assert (caught.value.code, caught.value.message) == ("empty", REFUSALS["empty"][language])
    assert not CorrectionRequest.objects.exists()


@pytest.fixture
def agent(person_factory: Any) -> Any:
    staff = person_factory(is_staff=True)
    staff.groups.add(Group.objects.get(name=AGENTS))
    return staff


def test_the_contact_centre_applies_a_correction_and_the_representative_is_told(
    register, high, agent, deliver
):
    _company, correction = services.company_register(
        person=high, number=INTERIM, language="fr", correction="The address moved."
    )
    assert correction is not None

    with deliver():
        services.correction_decide(
            request_id=correction.pk, staff=agent, apply=True, reason="Updated at the KBO."
        )

    correction.refresh_from_db()
    assert (correction.status, correction.reason, correction.decided_by) == (
        CorrectionRequest.Status.APPLIED,
        "Updated at the KBO.",
        agent,
    )
    event = AuditEvent.objects.get(name="companies.correction.applied")
    assert event.actor_id == agent.pk
    [message] = mail.outbox
    assert message.to == [high.email]
    assert "Updated at the KBO." in message.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_intermediary_refuses_its_clients_correction_once(
    register, high, agent, person_factory, deliver, language
):
    broker = Intermediary.objects.create(name="Courtier SA")
    IntermediaryClient.objects.create(intermediary=broker, number=INTERIM)
    broker_staff = person_factory(is_staff=True)
    broker.staff.add(broker_staff)
    _company, correction = services.company_register(
        person=high, number=INTERIM, language="en", correction="Wrong name"
    )
    assert correction is not None

    with translation.override(language):
        with pytest.raises(CompanyRefused) as not_allowed:
            services.correction_decide(
                request_id=correction.pk, staff=agent, apply=True, reason="x"
            )
        with pytest.raises(CompanyRefused) as no_reason:
            services.correction_decide(
                request_id=correction.pk, staff=broker_staff, apply=False, reason=" "
            )
        with deliver():
            services.correction_decide(
                request_id=correction.pk,
                staff=broker_staff,
                apply=False,
                reason="The name is right.",
            )
        with pytest.raises(CompanyRefused) as decided:
            services.correction_decide(
                request_id=correction.pk, staff=broker_staff, apply=True, reason="Oops"
            )

    assert [(c.value.code, c.value.message) for c in (not_allowed, no_reason, decided)] == [
        ("not_allowed", REFUSALS["not_allowed"][language]),
        ("empty", REFUSALS["no_reason"][language]),
        ("decided", REFUSALS["decided"][language]),
    ]
    correction.refresh_from_db()
    assert correction.status == CorrectionRequest.Status.REFUSED
    assert AuditEvent.objects.filter(name="companies.correction.refused").count() == 1
    assert not AuditEvent.objects.filter(name="companies.correction.applied").exists()
    [message] = mail.outbox  # in the representative's language, French
    assert message.subject == "La correction des données de l'entreprise Intérim Demo a été refusée"
    # the state of a request, agreed with it (not a contract's "refusé")
    labels = {"en": "refused", "fr": "refusée", "nl": "geweigerd", "de": "abgelehnt"}
    with translation.override(language):
        assert correction.get_status_display() == labels[language]
