"""``paraph audit-prove CONTRACT``: a contract's audit events with the
proofs a third party checks offline against the sealed checkpoint."""

import base64
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from paraph.audit import merkle
from paraph.audit.services import audit_checkpoint, audit_record
from paraph.signing.statements import statement_verify

pytestmark = pytest.mark.django_db


def test_each_event_of_the_contract_is_proven_in_the_sealed_tree(make_contract, person, capsys):
    contract = make_contract()
    audit_record(name="accounts.login.succeeded", subject=person)  # another subject's event
    checkpoint = audit_checkpoint()
    assert checkpoint is not None
    later = audit_record(name="contracts.contract.revoked", subject=contract)

    call_command("audit-prove", str(contract.public_id))
    proof = json.loads(capsys.readouterr().out)

    root = bytes.fromhex(proof["checkpoint"]["root"])
    assert proof["checkpoint"]["size"] == checkpoint.size
    assert json.loads(proof["checkpoint"]["statement"])["root"] == proof["checkpoint"]["root"]
    seal = base64.b64decode(proof["checkpoint"]["seal_base64"])
    assert statement_verify(proof["checkpoint"]["statement"].encode(), seal).valid
    assert proof["events"], "the contract's creation and sending are audited"
    for event in proof["events"]:
        leaf = merkle.leaf_hash(event["content"].encode())
        assert leaf.hex() == event["leaf_hash"]
        assert merkle.inclusion_holds(leaf, root, event["proof"])
        assert json.loads(event["content"])["subject_id"] == str(contract.pk)
    assert proof["not_yet_checkpointed"] == [later.pk]
    # a proof does not hold for content that was changed
    first = proof["events"][0]
    changed = first["content"].replace(first["name"], "contracts.contract.signed")
    assert not merkle.inclusion_holds(merkle.leaf_hash(changed.encode()), root, first["proof"])


def test_an_unknown_contract_is_refused():
    with pytest.raises(CommandError, match="no contract"):
        call_command("audit-prove", "00000000-0000-0000-0000-000000000000")
    with pytest.raises(CommandError, match="no contract"):
        call_command("audit-prove", "not-an-id")


def test_the_evidence_carries_the_same_proofs(make_contract):
    from paraph.contracts.selectors import contract_evidence

    contract = make_contract()
    checkpoint = audit_checkpoint()
    assert checkpoint is not None

    proof = contract_evidence(contract=contract)["audit_proof"]

    assert proof["checkpoint"]["root"] == checkpoint.root
    root = bytes.fromhex(checkpoint.root)
    assert {e["id"] for e in proof["events"]} == {
        a["id"] for a in contract_evidence(contract=contract)["audit_chain"]
    }
    for event in proof["events"]:
        assert merkle.inclusion_holds(bytes.fromhex(event["leaf_hash"]), root, event["proof"])
