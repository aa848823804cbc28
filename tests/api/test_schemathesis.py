"""API-01: property-based fuzzing of the seller API against OUR generated description
(/api/openapi.json), on a live server, with schemathesis.

For every operation of the document a bounded number of generated requests (derandomized,
so a failure reproduces) is sent with a valid bearer token of a seller account that owns
data — a Discussion with messages, declared and uploaded attachments, a pending commission
refund claim, a product with unclaimed units; path parameters are either generated or the
IDs of those objects. Every response must be no 5xx and conform to the document: status
code documented, content type documented, body valid against the response schema.
"""

from datetime import timedelta

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.base import PUBLIC
from discussions.models import Message, Role
from tests.api.conftest import make_token
from tests.api.test_api_basics import OPERATIONS, _template
from tests.api.test_auth_matrix import build_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25

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


def strategy_for(operation, world):
    method, template = operation.method.lower(), _template(operation.path)
    strategies = [operation.as_strategy()]
    value = real_path_parameters(template, method, world)
    if value is not None:
        names = [parameter.name for parameter in operation.path_parameters]
        strategies.append(operation.as_strategy(path_parameters=dict.fromkeys(names, value)))
    if (method, template) == ("post", "/order/refund-claims"):
        body = {"lineItem": {"id": str(world.free_line.public_id)}, "quantity": 1}
        strategies.append(operation.as_strategy(body=body, media_type=PUBLIC))
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
