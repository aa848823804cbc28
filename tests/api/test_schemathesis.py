"""API-01: property-based fuzzing of the seller API with schemathesis, on a live server:
against OUR generated description (/api/openapi.json), and (issue 18, API-04/API-06)
against the marketplace's REFERENCE (api/reference/allegro-openapi-excerpt.yaml).

For every operation of the document a bounded number of generated requests (derandomized,
so a failure reproduces) is sent with a valid bearer token of a seller account that owns
data — a Discussion with messages, declared and uploaded attachments, a pending commission
refund claim, a product with unclaimed units; path parameters are either generated or the
IDs of those objects. Every response must be no 5xx and conform to the document: status
code documented, content type documented, body valid against the response schema.

Against the reference every operation it describes is fuzzed — its /sale/disputes*
resources too — with valid data (and the same IDs and bodies of this seller's objects)
and with invalid data. The only answers allowed beyond the reference are the entries of
the API guide's "Deliberate differences from the marketplace" (api.guide.
DELIBERATE_DIFFERENCES), listed in `DELIBERATE` by operation, status and error code.
"""

import json
from datetime import timedelta

import pytest
import schemathesis
import yaml
from django.core.cache import cache
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import guide
from api.base import BETA, PUBLIC
from discussions.models import Message, Role
from tests.api.conftest import make_token
from tests.api.contract import EXCERPT
from tests.api.test_api_basics import OPERATIONS, _template
from tests.api.test_auth_matrix import PNG, build_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25
REFERENCE_EXAMPLES = 30  # valid data, per operation of the reference
REFERENCE_NEGATIVE_EXAMPLES = 10  # invalid data, per operation

pytestmark = [
    # The live server answers from its own thread (and, on PostgreSQL, its own
    # connection): the data must be committed. Markets come from a data migration; the
    # flush after a transactional test would remove them.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def fuzz_world(seller_account, offer, buyer, oauth_app):
    cache.clear()
    world = build_world(seller_account, offer, buyer)
    start = world.discussion.opened_at
    Message.objects.bulk_create(
        Message(
            discussion=world.discussion,
            author=seller_account.user if i % 2 else buyer,
            author_role=Role.SELLER if i % 2 else Role.BUYER,
            text=f"Message {i} about the parcel.",
            created_at=start + timedelta(minutes=i + 1),
        )
        for i in range(6)
    )
    world.token = make_token(seller_account.user, oauth_app, expires_in=timedelta(hours=1))
    yield world
    cache.clear()


def real_path_parameters(template, method, world):
    """The IDs of this seller's objects for an operation's path parameter."""
    if template.startswith("/sale/issues/{}"):
        return str(world.discussion.public_id)
    if template == "/sale/issues/attachments/{}":
        return str(world.declared.pk if method == "put" else world.uploaded.pk)
    if template == "/order/refund-claims/{}":
        return str(world.claim.public_id)
    return None


def strategy_for(operation, world, generation_mode=GenerationMode.POSITIVE):
    method, template = operation.method.lower(), _template(operation.path)
    strategies = [operation.as_strategy(generation_mode=generation_mode)]
    value = real_path_parameters(template, method, world)
    if value is not None:
        names = [parameter.name for parameter in operation.path_parameters]
        strategies.append(
            operation.as_strategy(path_parameters=dict.fromkeys(names, value), generation_mode=generation_mode)
        )
    if (method, template) == ("post", "/order/refund-claims"):
        body = {"lineItem": {"id": str(world.free_line.public_id)}, "quantity": 1}
        strategies.append(operation.as_strategy(body=body, media_type=PUBLIC, generation_mode=generation_mode))
    return st.one_of(strategies)


def load_schema(live_server):
    # Asked for JSON explicitly: with Accept */* the view answers YAML (see test_api_basics).
    url = f"{live_server.url}/api/openapi.json"
    return schemathesis.openapi.from_url(url, headers={"Accept": "application/json"}, timeout=30)


def operations_of(schema):
    return {
        (result.ok().method.lower(), _template(result.ok().path)): result.ok()
        for result in schema.get_all_operations()
        if isinstance(result, Ok)
    }


def test_api_01_fuzzing_covers_every_operation_of_the_document(live_server, fuzz_world):
    schema = load_schema(live_server)
    assert set(operations_of(schema)) == OPERATIONS


@pytest.mark.parametrize(("method", "template"), sorted(OPERATIONS), ids=lambda value: value)
def test_api_01_fuzzed_requests_get_documented_answers(live_server, fuzz_world, method, template):
    operation = operations_of(load_schema(live_server))[(method, template)]
    base_url = f"{live_server.url}/api"
    headers = {"Authorization": f"Bearer {fuzz_world.token.token}"}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy_for(operation, fuzz_world))
    def fuzz(case):
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS, headers=headers)

    fuzz()


# --- Against the marketplace's reference (issue 18) ------------------------------------------

# Answers the reference does not declare, each an entry of the API guide's "Deliberate
# differences from the marketplace": (method, path template, status) → (the guide's entry,
# the error code the answer must carry). Nothing else is allowed.
DELIBERATE = {
    # Guide: "The former /sale/disputes and /sale/dispute-attachments resources answer 404
    # NotFoundException to every method" (the reference declares no 404 for these two).
    ("post", "/sale/dispute-attachments", 404): ("disputes", "NotFoundException"),
    ("put", "/sale/dispute-attachments/{}", 404): ("disputes", "NotFoundException"),
    # Guide: "An upload (PUT) to an attachment address that does not exist or belongs to
    # another seller account gets 404 NotFoundException".
    ("put", "/sale/issues/attachments/{}", 404): ("upload_not_found", "NotFoundException"),
    # Guide: "A body that cannot be read … gets 400 MALFORMED_REQUEST on every operation,
    # declaring an attachment too".
    ("post", "/sale/issues/attachments", 400): ("malformed_body", "MALFORMED_REQUEST"),
    # Guide: "An invalid query parameter (limit, offset, a filter's value) gets 422
    # VALIDATION_ERROR … reading the chat too".
    ("get", "/sale/issues/{}/chat", 422): ("invalid_parameter", "VALIDATION_ERROR"),
}
WITHOUT_STATUS_CHECK = [check for check in CHECKS if check is not status_code_conformance]


def reference_schema():
    """The excerpt as published, without its servers (the live server's URL is given
    with each call)."""
    spec = yaml.safe_load(EXCERPT.read_text())
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("servers", None)
    return schemathesis.openapi.from_dict(spec)


REFERENCE_OPERATIONS = sorted(operations_of(reference_schema()))


def reference_strategy(operation, world):
    """Valid data — generated, with this seller's IDs, and the bodies that succeed (a
    message, the declared file, a claim of the unclaimed product) — or invalid data."""
    method, template = operation.method.lower(), _template(operation.path)
    valid = [strategy_for(operation, world)]
    if (method, template) == ("post", "/sale/issues/{}/message"):
        body = {"text": "The parcel was sent yesterday.", "attachment": None, "type": "REGULAR"}
        path_parameters = {"issueId": str(world.discussion.public_id)}
        valid.append(operation.as_strategy(path_parameters=path_parameters, body=body, media_type=BETA))
    if (method, template) == ("put", "/sale/issues/attachments/{}"):
        path_parameters = {"attachmentId": str(world.declared.pk)}
        valid.append(operation.as_strategy(path_parameters=path_parameters, body=PNG, media_type="image/png"))
    return st.one_of(valid), strategy_for(operation, world, GenerationMode.NEGATIVE)


def test_api_04_06_the_deliberate_differences_are_the_guides_entries():
    """Every allowed difference names an entry of the guide, and every operation it is
    allowed for is one of the reference's."""
    assert {entry for entry, _code in DELIBERATE.values()} <= set(guide.DELIBERATE_DIFFERENCES)
    assert {(method, template) for method, template, _status in DELIBERATE} <= set(REFERENCE_OPERATIONS)
    assert len(REFERENCE_OPERATIONS) == 19


@pytest.mark.parametrize(("method", "template"), REFERENCE_OPERATIONS, ids=lambda value: value)
def test_api_04_06_fuzzed_requests_get_the_references_answers_or_a_deliberate_difference(
    live_server, fuzz_world, method, template
):
    operation = operations_of(reference_schema())[(method, template)]
    base_url = f"{live_server.url}/api"
    headers = {"Authorization": f"Bearer {fuzz_world.token.token}"}
    valid, invalid = reference_strategy(operation, fuzz_world)
    answered = []

    def check(case):
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        answered.append(response.status_code)
        difference = DELIBERATE.get((method, template, response.status_code))
        if difference is None:
            case.validate_response(response, checks=CHECKS, headers=headers)
            return
        # The guide's entry, exactly: its status with its code, in the API's error shape.
        assert {error["code"] for error in json.loads(response.content)["errors"]} == {difference[1]}
        case.validate_response(response, checks=WITHOUT_STATUS_CHECK, headers=headers)

    for strategy, examples in ((valid, REFERENCE_EXAMPLES), (invalid, REFERENCE_NEGATIVE_EXAMPLES)):
        settings(
            max_examples=examples,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )(given(case=strategy)(check))()

    assert len(answered) >= REFERENCE_EXAMPLES  # hypothesis may stop early on a small input space
