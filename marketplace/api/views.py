"""Open Referral UK 3.0 read API: the published directory as HSDS 3.0 JSON with the UK profile.

Routes (GET, open to anyone, `Access-Control-Allow-Origin: *` on every answer, errors included):
`/`, `/services`, `/services/{id}`, `/service_at_locations`, `/service_at_locations/{id}`,
`/organizations`, `/organizations/{id}`, `/taxonomies`, `/taxonomies/{id}`, `/taxonomy_terms`,
`/taxonomy_terms/{id}`. Lists are ORUK pages (`page`, `per_page`).

Filters: `text` (or ORUK's `search`), `taxonomy_term_id`, `taxonomy_id`, `organization_id`,
`modified_after`, `day`, `start_time`, `end_time` on services and service_at_locations;
`postcode` and `proximity` (metres) on service_at_locations; `taxonomy_id`, `parent_id`,
`top_only` on taxonomy_terms; `full` on services and `full_service` on organizations; `tenant` (a
commissioning body's id) everywhere. A value we cannot use is a 400 with a message; so are ORUK
filters we cannot honour (any `format` but json). `minimum_age` and `maximum_age` compare with
the ages a listing's age groups cover (marketplace/api/services.py); `minimal=true` on /services
answers every matching service's id and last change in one array. `OPTIONS` answers with the
feed's own `Allow` and CORS headers; `TRACE` and writes are a JSON 405. Ids are UUIDs
(marketplace/api/ids.py); which listings are published is explained in marketplace/api/services.py,
and how they read in marketplace/api/serializers.py.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from marketplace.api import params, serializers, services
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/openreferral")

# What the `/` endpoint says about this API (ORUK 3.0 "api_details").
HSDS_VERSION = "HSDS-UK-3.0"
ORUK_PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
ORUK_OPENAPI_URL = "https://docs.openreferraluk.org/en/latest/openapi30.json"
# Every route answers these; anything else is a JSON 405.
ALLOWED = "GET, HEAD, OPTIONS"


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    """ORUK compliance: feeds are open, readable by browser apps on any site (CORS)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        # Every path here allows the same methods (the 405 route's POST & co. refuse, not allow).
        response.headers["Allow"] = ALLOWED
        response.headers["Access-Control-Allow-Methods"] = ALLOWED
        asked = request.headers.get("Access-Control-Request-Headers")
        if asked:
            response.headers["Access-Control-Allow-Headers"] = asked
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _error(status: int, message: str, parameter: str | None = None) -> tuple[Response, int]:
    body: dict[str, object] = {"error": message}
    if parameter:
        body["parameter"] = parameter
    return jsonify(body), status


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> tuple[Response, int]:
    return _error(404, error.message)


@bp.errorhandler(DomainError)
def _bad_request(error: DomainError) -> tuple[Response, int]:
    return _error(400, error.message, error.field)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[Response, int]:
    return _error(error.code or 500, error.description or error.name)


@bp.errorhandler(InternalServerError)
def _server_error(error: InternalServerError) -> tuple[Response, int]:
    return _error(500, "Something went wrong on our side. Try again later.")


def _path_id(text: str) -> uuid.UUID | None:
    """An id in the path: a malformed one finds nothing (404), like an unknown one."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@bp.before_app_request
def _refuse_other_methods() -> tuple[Response, int] | None:
    """A method no route here knows (TRACE, QUERY, PROPFIND …) fails in routing, before any
    view of this blueprint is chosen: answer it as the feed does, not with the app's HTML."""
    refused = request.routing_exception
    if isinstance(refused, MethodNotAllowed) and request.path.startswith(f"{bp.url_prefix}/"):
        return _method_not_allowed()
    return None


@bp.get("/")
def index() -> Response:
    """The API details object: which HSDS version and profile this feed follows."""
    return jsonify(version=HSDS_VERSION, profile=ORUK_PROFILE_URL, openapi_url=ORUK_OPENAPI_URL)


def _service_filter() -> services.ServiceFilter:
    args = request.args
    params.json_format(args)
    return services.ServiceFilter(
        tenant_id=params.tenant(args),
        words=params.words(args),
        taxonomy_term_id=params.an_id(args, "taxonomy_term_id"),
        taxonomy_id=params.an_id(args, "taxonomy_id"),
        organization_id=params.an_id(args, "organization_id"),
        modified_after=params.moment(args, "modified_after"),
        day=params.weekday(args, "day"),
        start_time=params.clock_time(args, "start_time"),
        end_time=params.clock_time(args, "end_time"),
        minimum_age=params.age(args, "minimum_age"),
        maximum_age=params.age(args, "maximum_age"),
    )


@bp.get("/services")
def service_list() -> Response:
    wanted = _service_filter()
    if params.boolean(request.args, "minimal"):
        return jsonify([serializers.minimal_service(s) for s in services.every_service(wanted)])
    paging = params.paging(request.args)
    full = bool(params.boolean(request.args, "full"))
    found = services.service_page(wanted, paging, full=full)
    item = serializers.full_service if full else serializers.service
    return jsonify(serializers.page(found, item))


@bp.get("/services/<service_id>")
def service_detail(service_id: str) -> Response:
    listing = services.service(_path_id(service_id), tenant_id=params.tenant(request.args))
    return jsonify(serializers.full_service(listing))


@bp.get("/service_at_locations")
def service_at_location_list() -> Response:
    wanted = _service_filter()
    paging = params.paging(request.args)
    near = services.near(
        params.text_value(request.args, "postcode"), params.proximity(request.args)
    )
    found = services.service_at_location_page(wanted, paging, near)
    return jsonify(serializers.page(found, serializers.service_at_location_item))


@bp.get("/service_at_locations/<service_at_location_id>")
def service_at_location_detail(service_at_location_id: str) -> Response:
    listing = services.service_at_location(
        _path_id(service_at_location_id), tenant_id=params.tenant(request.args)
    )
    return jsonify(serializers.full_service_at_location(listing))


@bp.get("/organizations")
def organization_list() -> Response:
    args = request.args
    params.json_format(args)
    wanted = services.OrganizationFilter(tenant_id=params.tenant(args), words=params.words(args))
    found = services.organization_page(wanted, params.paging(args))
    return jsonify(serializers.page(found, serializers.organization))


@bp.get("/organizations/<organization_id>")
def organization_detail(organization_id: str) -> Response:
    full = bool(params.boolean(request.args, "full_service"))
    found = services.organization(
        _path_id(organization_id), tenant_id=params.tenant(request.args), full=full
    )
    return jsonify(serializers.full_organization(found.provider, found.services, full))


@bp.get("/taxonomies")
def taxonomy_list() -> Response:
    """Our one taxonomy, as a page."""
    paging = params.paging(request.args)
    params.json_format(request.args)
    found = services.Page([serializers.taxonomy()] if paging.page == 1 else [], 1, paging)
    return jsonify(serializers.page(found, lambda item: item))


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy_detail(taxonomy_id: str) -> Response:
    terms = services.taxonomy(_path_id(taxonomy_id))
    return jsonify(serializers.taxonomy(terms))


@bp.get("/taxonomy_terms")
def taxonomy_term_list() -> Response:
    args = request.args
    params.json_format(args)
    wanted = services.TermFilter(
        words=params.words(args),
        taxonomy_id=params.an_id(args, "taxonomy_id"),
        parent_id=params.an_id(args, "parent_id"),
        top_only=params.boolean(args, "top_only"),
    )
    found = services.taxonomy_term_page(wanted, params.paging(args))
    return jsonify(serializers.page(found, serializers.taxonomy_term))


@bp.get("/taxonomy_terms/<taxonomy_term_id>")
def taxonomy_term_detail(taxonomy_term_id: str) -> Response:
    category = services.taxonomy_term(_path_id(taxonomy_term_id))
    return jsonify(serializers.taxonomy_term(category))


@bp.get("/<path:path>")
def unknown(path: str) -> tuple[Response, int]:
    """Anything else under /openreferral/ is a JSON 404 (with CORS), not an HTML page."""
    return _error(404, "There is no such Open Referral UK endpoint here")


WRITES = ["POST", "PUT", "PATCH", "DELETE", "TRACE"]


@bp.route("/", methods=WRITES, endpoint="read_only_root")
@bp.route("/<path:path>", methods=WRITES)
@csrf.exempt  # (nothing here changes anything: every such request is refused)
def read_only(path: str = "") -> tuple[Response, int]:
    """The feed is read-only: any other method is a JSON 405 (with CORS), not an HTML page."""
    return _method_not_allowed()


def _method_not_allowed() -> tuple[Response, int]:
    response, status = _error(405, "This Open Referral UK feed is read-only: use GET")
    response.headers["Allow"] = ALLOWED
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response, status
