"""Registering a company, correcting its data and inviting a user, in a real
browser, on the demo data (issue 10, CO-1 to CO-4):

1. The contact centre (the demo agent, a superuser) gives Brasserie du
   Canal, a company of the sample KBO export, an intermediary, as a broker's
   contract would have it (number typed as printed).
2. Anne (registered with the sandbox itsme, French) registers Brasserie du
   Canal, finds its address wrong and files a correction in the same step.
3. The broker's staff member logs in to the back office (password and SMS
   code), sees only that request (not the contact centre's) and applies it
   with a reason; Anne reads the e-mail and sees the decision on "My
   companies".
4. Anne invites Marie by e-mail and national number; Marie (Dutch) opens
   the link, registers with the sandbox itsme, opens it again and accepts;
   the link opened by Anne is refused in French, opened again by Marie
   refused in Dutch. Marie logs in again, acts for herself, switches to the
   company from the header; Anne lets her sign, and Marie sees it.
5. The demo sender's staff send a contract to the company from the sender
   back office; Marie, acting for the company, opens it in the company's
   adminbox, signs her mandate (SMS code, then a password of her choice)
   and signs the contract with that password. The stamp and the signature
   say Marie Dubois signed for Brasserie du Canal (0722.334.452); Paraph's
   validator and pdfsig accept it; the adminbox and the sender's page show
   it signed.

axe-core checks the confirmation page (French) and the invitation page
(Dutch)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader

from paraph.accounts.models import Person
from paraph.companies.demo import DEMO_COMPANY
from paraph.companies.models import (
    CompanyUser,
    CorrectionRequest,
    IntermediaryClient,
    RegisteredCompany,
)
from paraph.companies.services import correction_file
from paraph.contracts.models import Contract
from paraph.contracts.tests.companies import stamp_text
from paraph.core.demo import DEMO_AGENT, DEMO_AGENT_PASSWORD
from paraph.identity.tests.registration_support import inbox_text
from paraph.notifications.models import Channel, SandboxMessage
from paraph.signing.selectors import signature_report
from paraph.signing.tests.checks import make_nss_db, pdfsig
from paraph.signing.tests.pdfs import contract_pdf
from paraph.web.tests.browser import in_a_month
from paraph.web.tests.test_browser_accessibility import _axe_source, _violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANNE_PHONE = "+32470123456"
ANNE_EMAIL = "anne.martin@demo.paraph.be"
MARIE_PHONE = "+32470555666"
MARIE_EMAIL = "marie.dubois@example.be"
BROKER_EMAIL = "els.wouters@courtage-central.be"
BROKER_PHONE = "+32470777888"
BROKER_PASSWORD = "courtage-central-2026"
NUMBER = "0722334452"
COMPANY = "Brasserie du Canal (0722.334.452)"
COMPANY_EMAIL = "commandes@brasserie-du-canal.be"
MARIE_PASSWORD = "canal barges drift slowly"
WRONG = "Le siège est au Quai des Charbonnages 42, pas au numéro 40."


def _code(to: str, channel: str = Channel.SMS) -> str:
    message = SandboxMessage.objects.filter(channel=channel, to=to).latest("id")
    found = re.search(r"\b(\d{6})\b", message.body_text)
    assert found, message.body_text
    return found.group(1)


def _no_axe_violation(page, axe_source: str) -> None:
    violations = _violations(page, axe_source)
    assert violations == [], (page.url, violations)


def _plain(text: str) -> str:
    # French typography puts a no-break space before "?", ":" and ";".
    return re.sub(r"[\u00a0\u202f]", " ", text)


def _see_heading(page, text: str) -> None:
    """The page's heading reads ``text`` (waiting for the page that a
    form's answer brings, at the same address or not)."""
    from playwright.sync_api import expect

    words = r"\s".join(re.escape(word) for word in text.split(" "))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(f"^{words}$"))


def _see_message(page, text: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("body")).to_contain_text(text)


def _text(page) -> str:
    """What the page says, as read (entities decoded)."""
    return _plain(page.locator("body").inner_text())


def _see_acting_for(page, name: str) -> None:
    """The header's "acting for" switch shows ``name``."""
    from playwright.sync_api import expect

    expect(page.locator("#acting-select option:checked")).to_have_text(name)


def _back_office_log_in(page, *, email: str, password: str, phone: str) -> None:
    page.goto("/backoffice/")
    page.wait_for_url("**/backoffice/login/**")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    code = page.get_by_label("Code", exact=True)
    code.wait_for()  # the SMS is sent once this step's page is there
    code.fill(_code(phone))
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**/backoffice/")


# The log-in page's field and buttons, in the person's language.
LOG_IN = {
    "fr": ("Numéro de GSM ou adresse e-mail", "Envoyez-moi un code", "Se connecter"),
    "nl": ("Gsm-nummer of e-mailadres", "Stuur mij een code", "Aanmelden"),
    "en": ("Mobile phone number or e-mail address", "Send me a code", "Log in"),
}


def _log_in(page, *, typed: str, phone: str, language: str) -> None:
    """The portal's log-in by a code sent by SMS."""
    identifier, send, log_in = LOG_IN[language]
    page.goto("/account/login/")
    page.get_by_label(identifier).fill(typed)
    page.get_by_role("button", name=send).click()
    page.wait_for_url("**/account/login/code/**")
    page.get_by_label("Code", exact=True).fill(_code(phone))
    page.get_by_role("button", name=log_in, exact=True).click()


def test_a_company_registered_corrected_by_its_broker_and_a_user_invited(
    page_factory, settings, person_factory, tmp_path: Path
):
    from playwright.sync_api import expect

    settings.EMAIL_BACKEND = "paraph.notifications.backends.SandboxEmailBackend"
    call_command("demo", stdout=io.StringIO())
    Person.objects.filter(email=DEMO_AGENT["email"]).update(language="en")
    anne = Person.objects.get(phone=ANNE_PHONE)
    assert anne.language == "fr"
    broker = person_factory(
        first_name="Els",
        last_name="Wouters",
        email=BROKER_EMAIL,
        phone=BROKER_PHONE,
        language="en",
        is_staff=True,
        password=BROKER_PASSWORD,
    )
    # A request of the demo company, for the contact centre's queue: the
    # broker must not see it.
    demo_company = RegisteredCompany.objects.get(number=DEMO_COMPANY["number"])
    correction_file(company=demo_company, person=anne, text="Notre forme juridique a changé.")
    axe_source = _axe_source()
    errors: list[str] = []

    def page(locale: str):
        opened = page_factory(locale=locale)
        opened.on("pageerror", lambda error: errors.append(str(error)))
        return opened

    # 1. The contact centre records the broker and its client company.
    agent = page("en-GB")
    _back_office_log_in(
        agent, email=DEMO_AGENT["email"], password=DEMO_AGENT_PASSWORD, phone=DEMO_AGENT["phone"]
    )
    agent.goto("/backoffice/companies/intermediary/add/")
    agent.get_by_label("Name").fill("Courtage Central")
    agent.locator("#id_staff_from").select_option(label="Els Wouters")
    agent.locator("#id_staff_add").click()
    agent.locator("#id_clients-0-number").fill("BE 0722.334.452")
    agent.get_by_role("button", name="Save", exact=True).click()
    agent.wait_for_url("**/backoffice/companies/intermediary/")
    assert IntermediaryClient.objects.get().number == NUMBER

    # 2. Anne registers the company and says its address is wrong.
    rep = page("fr-BE")
    _log_in(rep, typed="0470 12 34 56", phone=ANNE_PHONE, language="fr")
    rep.wait_for_url("**/company/act/**")
    _see_heading(rep, "Pour qui agissez-vous ?")
    rep.get_by_label("Moi-même (Anne Martin)").check()
    rep.get_by_role("button", name="Continuer").click()
    rep.wait_for_url("**/adminbox/")
    rep.goto("/company/")
    rep.get_by_role("link", name="Enregistrer une entreprise").click()
    rep.wait_for_url("**/company/registration/")
    _see_heading(rep, "Enregistrer une entreprise")
    rep.get_by_label("Numéro d'entreprise").fill("BE 0722 334 452")
    rep.get_by_role("button", name="Rechercher l'entreprise").click()
    _see_heading(rep, "Est-ce votre entreprise ?")
    data = _plain(rep.locator("dl.facts").inner_text())
    assert "0722.334.452" in data
    assert "Quai des Charbonnages 40" in data
    assert "1000 Bruxelles" in data
    _no_axe_violation(rep, axe_source)
    rep.get_by_label("Certaines de ces données sont-elles erronées ?").fill(WRONG)
    rep.get_by_role("button", name="Enregistrer cette entreprise").click()
    rep.wait_for_url("**/company/")
    _see_heading(rep, "Mes entreprises")
    content = _text(rep)
    assert (
        "L'entreprise Brasserie du Canal (0722.334.452) est enregistrée : "
        "c'est vous qui la représentez numériquement." in content
    )
    assert "Votre demande de correction a été envoyée" in content
    company = RegisteredCompany.objects.get(number=NUMBER)
    assert company.representative == anne
    request = CorrectionRequest.objects.get(company=company)
    assert request.intermediary is not None and request.intermediary.name == "Courtage Central"

    # 3. The broker sees only that request and applies it.
    office = page("en-GB")
    _back_office_log_in(office, email=BROKER_EMAIL, password=BROKER_PASSWORD, phone=BROKER_PHONE)
    office.goto("/backoffice/companies/correctionrequest/")
    rows = office.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Brasserie du Canal" in rows.first.inner_text()
    assert "Boulangerie Dupont" not in _text(office)
    other = CorrectionRequest.objects.get(company=demo_company)
    office.goto(f"/backoffice/companies/correctionrequest/{other.pk}/change/")
    assert office.url.endswith("/backoffice/")  # as if it did not exist
    assert "Notre forme juridique a changé." not in _text(office)
    office.goto("/backoffice/companies/correctionrequest/")
    rows.first.locator("th a, td a").first.click()
    office.wait_for_url(f"**/correctionrequest/{request.pk}/change/")
    assert WRONG in _text(office)
    office.get_by_label("Decision").select_option(label="Apply the correction")
    office.get_by_label("Reason, sent to the representative").fill(
        "Checked against the deed of 3 March: the seat is at number 42; "
        "we filed the change with the register."
    )
    office.get_by_role("button", name="Save", exact=True).click()
    office.wait_for_url("**/backoffice/companies/correctionrequest/")
    request.refresh_from_db()
    assert request.status == CorrectionRequest.Status.APPLIED
    assert request.decided_by == broker

    mail = _plain(
        inbox_text(
            page_factory,
            ANNE_EMAIL,
            subject="Les données de l'entreprise Brasserie du Canal ont été corrigées",
        )
    )
    assert "a été appliquée" in mail
    assert "the seat is at number 42" in mail
    rep.goto("/company/")
    card = rep.locator("section", has_text="Brasserie du Canal")
    decisions = _plain(card.inner_text())
    assert WRONG in decisions
    assert "appliquée" in decisions
    assert "the seat is at number 42" in decisions

    # 4. Anne invites Marie, bound to her national number.
    card.get_by_role("link", name="Gérer ses utilisateurs").click()
    rep.wait_for_url(f"**/company/{NUMBER}/users/")
    _see_heading(rep, f"Utilisateurs de l'entreprise {COMPANY}")
    rep.get_by_label("Adresse e-mail de la personne").fill(MARIE_EMAIL)
    rep.get_by_label("Son numéro de registre national (si vous le connaissez)").fill(
        "90.02.14-002.27"
    )
    rep.get_by_role("button", name="Envoyer l'invitation").click()
    rep.wait_for_url(f"**/company/{NUMBER}/users/")
    _see_message(rep, f"L'invitation a été envoyée à {MARIE_EMAIL}.")
    invitation = SandboxMessage.objects.filter(channel=Channel.EMAIL, to=MARIE_EMAIL).latest("id")
    link = re.search(r"https?://\S+(/company/invitation/\S+/)", invitation.body_text)
    assert link, invitation.body_text
    link_path = link.group(1)

    # Marie opens the link before she has an account: she must register.
    marie = page("nl-BE")
    marie.goto(link_path)
    _see_heading(marie, "Uitnodiging om voor een onderneming op te treden")
    assert f"U bent uitgenodigd om op Paraph voor {COMPANY} op te treden." in _text(marie)
    _no_axe_violation(marie, axe_source)
    marie.locator("#main").get_by_role("link", name="Registreren", exact=True).click()
    marie.wait_for_url("**/register/")
    marie.get_by_role("button", name="Registreren met itsme").click()
    marie.get_by_test_id("sandbox-itsme-notice").wait_for()
    marie.get_by_label("Marie Dubois").check()
    marie.get_by_test_id("itsme-confirm").click()
    marie.wait_for_url("**/register/phone/")
    marie.get_by_label("Gsm-nummer").fill("0470 55 56 66")
    marie.get_by_role("button", name="Stuur mij een code").click()
    marie.wait_for_url("**/register/phone/code/")
    marie.get_by_label("Code", exact=True).fill(_code(MARIE_PHONE))
    marie.get_by_role("button", name="Bevestigen").click()
    marie.wait_for_url("**/register/email/")
    marie.get_by_label("E-mailadres").fill(MARIE_EMAIL)
    marie.get_by_role("button", name="Stuur mij een code").click()
    marie.wait_for_url("**/register/email/code/")
    marie.get_by_label("Code", exact=True).fill(_code(MARIE_EMAIL, Channel.EMAIL))
    marie.get_by_role("button", name="Bevestigen").click()
    marie.wait_for_url("**/adminbox/")
    marie_person = Person.objects.get(email=MARIE_EMAIL)
    assert marie_person.language == "nl"

    # Anne, logged in, opens the link: it is not hers (in French).
    rep.goto(link_path)
    rep.get_by_role("button", name="Accepter l'invitation").click()
    _see_message(rep, "Cette invitation a été envoyée à une autre adresse e-mail.")
    assert (
        "Cette invitation a été envoyée à une autre adresse e-mail. Connectez-vous avec "
        "le compte de cette adresse pour l'accepter." in _text(rep)
    )
    assert not CompanyUser.objects.filter(company=company).exists()

    # Marie opens it again and accepts: she now acts for the company.
    marie.goto(link_path)
    marie.get_by_role("button", name="De uitnodiging aanvaarden").click()
    marie.wait_for_url("**/adminbox/")
    assert f"U treedt nu op voor {COMPANY}." in _text(marie)
    _see_acting_for(marie, COMPANY)
    member = CompanyUser.objects.get(company=company)
    assert member.person == marie_person and not member.can_sign
    # The link works once (in Dutch).
    marie.goto(link_path)
    assert "Deze uitnodiging werd al aanvaard." in _text(marie)

    # Marie logs in again (another browser): first for herself, then for
    # the company from the header's switch.
    marie = page("nl-BE")
    _log_in(marie, typed="0470 55 56 66", phone=MARIE_PHONE, language="nl")
    marie.wait_for_url("**/company/act/**")
    _see_heading(marie, "Voor wie treedt u op?")
    marie.get_by_label("Mezelf (Marie Dubois)").check()
    marie.get_by_role("button", name="Doorgaan").click()
    marie.wait_for_url("**/adminbox/")
    _see_acting_for(marie, "Marie Dubois")
    marie.get_by_label("Namens").select_option(label=COMPANY)
    marie.get_by_role("button", name="Wisselen").click()
    marie.wait_for_url("**/adminbox/")
    _see_acting_for(marie, COMPANY)

    # Anne lets Marie sign; Marie sees it on the company's users page.
    rep.goto(f"/company/{NUMBER}/users/")
    rep.get_by_role("button", name="Permettre à Marie Dubois de signer").click()
    rep.wait_for_url(f"**/company/{NUMBER}/users/")
    _see_message(rep, "Enregistré.")
    may_sign = rep.locator("tbody tr", has_text="Marie Dubois").locator("td").nth(1)
    assert may_sign.inner_text() == "oui"
    member.refresh_from_db()
    assert member.can_sign
    marie.goto("/company/")
    _see_heading(marie, "Mijn ondernemingen")
    assert "U bent een van de gebruikers ervan." in _text(marie)
    marie.get_by_role("link", name="De gebruikers bekijken").click()
    marie.wait_for_url(f"**/company/{NUMBER}/users/")
    _see_heading(marie, f"Gebruikers van {COMPANY}")
    may_sign = marie.locator("tbody tr", has_text="Marie Dubois").locator("td").nth(1)
    assert may_sign.inner_text() == "ja"

    # 5. The demo sender's staff send a contract to the company, from the
    # sender back office (English).
    office = page("en-GB")
    _log_in(office, typed="0470 00 01 11", phone=DEMO_AGENT["phone"], language="en")
    office.wait_for_url(lambda url: "/account/login/" not in url)
    office.goto("/sender/contracts/new/")
    office.get_by_label("Title of the contract").fill("Contrat de livraison de bières")
    pdf_path = tmp_path / "delivery.pdf"
    pdf_path.write_bytes(contract_pdf(pages=1, title="Contrat de livraison de bières"))
    office.get_by_label("The contract (PDF)").set_input_files(str(pdf_path))
    office.get_by_label("Recipient's e-mail address").fill(COMPANY_EMAIL)
    office.get_by_label("Or a company: its enterprise number").fill("BE 0722.334.452")
    office.get_by_label("Start of work (Brussels time)").fill(in_a_month())
    office.get_by_role("button", name="Send the contract").click()
    office.wait_for_url("**/sender/contracts/*/")
    expect(office.get_by_test_id("contract-status")).to_have_text("sent")
    contract = Contract.objects.get(recipient_company_number=NUMBER)
    assert contract.recipient is None

    # Marie, acting for the company, finds it in the company's adminbox; as
    # she has no mandate yet, signing with a password first asks for one,
    # signed with a code sent by SMS, and a password of her choice.
    marie.goto("/adminbox/")
    _see_acting_for(marie, COMPANY)
    marie.get_by_role("link", name="Contrat de livraison de bières").first.click()
    marie.wait_for_url(f"**/adminbox/contract/{contract.public_id}/")
    marie.get_by_role("link", name="Ondertekenen met mijn wachtwoord").click()
    marie.wait_for_url("**/adminbox/mandate/?next=*")
    marie.get_by_label("Per sms naar mijn gsm").check()
    marie.get_by_role("button", name="Stuur mij de code").click()
    marie.wait_for_url("**/adminbox/mandate/code/")
    marie.get_by_label("Code", exact=True).fill(_code(MARIE_PHONE))
    marie.get_by_role("button", name="Mijn mandaat ondertekenen").click()
    marie.wait_for_url("**/adminbox/mandate/password/")
    marie.get_by_label("Uw ondertekeningswachtwoord").fill(MARIE_PASSWORD)
    marie.get_by_label("Nogmaals hetzelfde wachtwoord").fill(MARIE_PASSWORD)
    marie.get_by_role("button", name="Mijn mandaat bevestigen").click()
    marie.wait_for_url("**/adminbox/mandate/done/")
    _see_heading(marie, "Uw mandaat is actief")
    marie.get_by_role("link", name="Verder naar uw contract").click()
    marie.wait_for_url(f"**/contract/{contract.public_id}/**")
    expect(marie.get_by_test_id("sign-for-company")).to_contain_text("Brasserie du Canal")
    marie.get_by_label("Ik heb het contract gelezen en ik onderteken het.").check()
    marie.get_by_label("Uw ondertekeningswachtwoord").fill(MARIE_PASSWORD)
    marie.get_by_role("button", name="Het contract ondertekenen").click()
    marie.wait_for_url(f"**/contract/{contract.public_id}/signed/")
    _see_heading(marie, "Ondertekend")

    contract.refresh_from_db()
    assert contract.status == "signed"
    assert (contract.signed_by, contract.signer_role) == (marie_person, "user")
    with contract.signed_pdf.open("rb") as handle:
        signed = handle.read()
    # The stamp and the signature say who signed, and for which company.
    stamp = stamp_text(signed)
    assert stamp.startswith("Marie Dubois / "), stamp
    assert "Brasserie du Canal" in stamp and "0722.334.452" in stamp, stamp
    signature = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures[-1]
    assert "Brasserie du Canal (" in str(signature.sig_object["/Reason"])
    # Paraph's validator and poppler's pdfsig find it valid and trusted.
    report = signature_report(signed)
    assert report.valid, report
    assert report.signed[-1].signer.startswith("Marie Dubois")
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    root = settings.DATA_DIR / "pki" / "root.pem"
    made = [
        s for s in pdfsig(path, make_nss_db(tmp_path / "nss", [root])) if not s.document_timestamp
    ]
    assert made and all(s.valid and s.trusted for s in made), made
    assert any(s.signer.startswith("Marie Dubois") for s in made), made
    # The company's adminbox shows it signed (in Dutch), and so does the
    # sender's page, with who signed.
    marie.goto("/adminbox/documents/")
    document = marie.locator("li.doc", has_text="Contrat de livraison de bières")
    expect(document.locator("dd.status")).to_have_text("Ondertekend")
    assert document.get_attribute("data-status") == "signed"
    office.reload()
    expect(office.get_by_test_id("contract-status")).to_have_text("signed")
    expect(office.get_by_test_id("company-signer")).to_contain_text("Marie Dubois")
    assert errors == []
