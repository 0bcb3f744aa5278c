"""boto3 runs session statistics aggregations against farmtally, for
test/boto3-statistics.test.ts: Start, poll Get until the status is no longer IN_PROGRESS,
then read every row with botocore's own paginator (a small PageSize, so several pages);
then provokes a ValidationException (bad time zone) and a ThrottlingException (a second
Start in a farm whose aggregation is still running), and prints what it saw as one JSON
object. Datetimes are printed as ISO 8601 in UTC with a Z.

Usage: python3 boto3_statistics.py ENDPOINT_URL < PLAN_JSON
(An older boto3 is given the Deadline Cloud model: boto3_session.py.)

PLAN_JSON: {"aggregations": [{"name", "request", "pageSize"}], "badTimezone": request,
"throttle": request or null}, where a request is StartSessionsStatisticsAggregation's
input with startTime and endTime as ISO 8601 strings.
"""
import json
import sys
import time
from datetime import datetime, timezone

from botocore.config import Config
from botocore.exceptions import ClientError

from boto3_session import session


def client(endpoint):
    s = session(aws_access_key_id="A", aws_secret_access_key="B", region_name="us-west-2")
    # One attempt and no client-side validation: a ThrottlingException must reach us as the
    # server sent it (botocore would otherwise retry it), and checks are the server's job.
    config = Config(inject_host_prefix=False, parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"})
    return s.client("deadline", endpoint_url=endpoint, config=config)


def utc_iso(value):
    """An aware datetime as ISO 8601 in UTC with Z; milliseconds (the JS SDK's precision) unless finer."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"expected an aware datetime from botocore, got {value!r}")
    spec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def plain(value):
    """A botocore result as JSON: datetimes as utc_iso, everything else as is."""
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def start_input(request):
    """The plan's request with its times as datetimes, which botocore serializes itself."""
    out = dict(request)
    for key in ("startTime", "endTime"):
        out[key] = datetime.fromisoformat(request[key].replace("Z", "+00:00"))
    return out


def wait(c, farm_id, aggregation_id):
    """Polls Get until the aggregation is no longer IN_PROGRESS; answers its status and the number of polls."""
    deadline = time.monotonic() + 120
    polls = 0
    while True:
        polls += 1
        page = c.get_sessions_statistics_aggregation(farmId=farm_id, aggregationId=aggregation_id)
        if page["status"] != "IN_PROGRESS":
            return page, polls
        if time.monotonic() > deadline:
            raise TimeoutError(f"aggregation {aggregation_id} still IN_PROGRESS after 120 s")
        time.sleep(0.02)


def error(call):
    """The ClientError botocore raised, flattened: status, Error.Code/Message, modeled members, raw headers."""
    try:
        call()
    except ClientError as err:
        meta = err.response["ResponseMetadata"]
        return {
            "status": meta["HTTPStatusCode"],
            "headers": meta.get("HTTPHeaders", {}),
            "exceptionClass": type(err).__name__,
            **err.response["Error"],
            **{k: v for k, v in err.response.items() if k not in ("Error", "ResponseMetadata")},
        }
    return None


def aggregate(c, plan):
    request = plan["request"]
    farm_id = request["farmId"]
    aggregation_id = c.start_sessions_statistics_aggregation(**start_input(request))["aggregationId"]
    first, polls = wait(c, farm_id, aggregation_id)
    pages = []
    rows = []
    paginator = c.get_paginator("get_sessions_statistics_aggregation")
    for page in paginator.paginate(farmId=farm_id, aggregationId=aggregation_id, PaginationConfig={"PageSize": plan["pageSize"]}):
        pages.append({"status": page["status"], "rows": len(page.get("statistics", [])), "hasNextToken": "nextToken" in page})
        rows.extend(plain(page.get("statistics", [])))
    return {
        "name": plan["name"],
        "aggregationId": aggregation_id,
        "polls": polls,
        "status": first["status"],
        "statusMessage": first.get("statusMessage"),
        "pages": pages,
        "rows": rows,
    }


def throttle(c, request):
    """Start twice in a row in one farm: the second, while the first runs, is throttled."""
    farm_id = request["farmId"]
    first_id = c.start_sessions_statistics_aggregation(**start_input(request))["aggregationId"]
    throttled = error(lambda: c.start_sessions_statistics_aggregation(**start_input(request)))
    done, _ = wait(c, farm_id, first_id)
    # The slot is free again once the first has finished.
    again_id = c.start_sessions_statistics_aggregation(**start_input(request))["aggregationId"]
    again, _ = wait(c, farm_id, again_id)
    return {"firstId": first_id, "firstStatus": done["status"], "throttled": throttled, "againId": again_id, "againStatus": again["status"]}


def main(endpoint):
    plan = json.load(sys.stdin)
    c = client(endpoint)
    out = {"aggregations": [aggregate(c, p) for p in plan["aggregations"]]}
    out["badTimezone"] = error(lambda: c.start_sessions_statistics_aggregation(**start_input(plan["badTimezone"])))
    if plan.get("throttle"):
        out["throttle"] = throttle(c, plan["throttle"])
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
