"""A second, independent client of farmtally's API: boto3 (an older release is given the
Deadline Cloud model: boto3_session.py). Creates a farm, a queue
and two fleets (service-managed and customer-managed), reads and lists them (with
paginators) and provokes two errors, then prints what it saw as one JSON object for
test/boto3.test.ts to check.

Usage: python3 boto3_client.py ENDPOINT_URL
"""
import json
import sys

from botocore.config import Config
from botocore.exceptions import ClientError

from boto3_session import session

ROLE = "arn:aws:iam::123456789012:role/FleetRole"
SERVICE_MANAGED = {
    "serviceManagedEc2": {
        "instanceCapabilities": {
            "vCpuCount": {"min": 2, "max": 8},
            "memoryMiB": {"min": 4096},
            "osFamily": "LINUX",
            "cpuArchitectureType": "x86_64",
        },
        "instanceMarketOptions": {"type": "on-demand"},
    }
}
CUSTOMER_MANAGED = {
    "customerManaged": {
        "mode": "NO_SCALING",
        "workerCapabilities": {
            "vCpuCount": {"min": 16},
            "memoryMiB": {"min": 32768},
            "osFamily": "WINDOWS",
            "cpuArchitectureType": "x86_64",
        },
    }
}


def client(endpoint):
    s = session(aws_access_key_id="A", aws_secret_access_key="B", region_name="us-west-2")
    # Validation is the server's job (as for the JS SDK, which validates nothing): botocore's own
    # checks would catch some bad input before it reached farmtally.
    config = Config(inject_host_prefix=False, parameter_validation=False, retries={"max_attempts": 1})
    return s.client("deadline", endpoint_url=endpoint, config=config)


def stamp(value):
    """A datetime as botocore parsed it: ISO text plus whether it carries a time zone."""
    return {"iso": value.isoformat(), "aware": value.tzinfo is not None}


def paged(c, operation, result_key, **params):
    pages = list(c.get_paginator(operation).paginate(PaginationConfig={"PageSize": 1}, **params))
    return {"pages": len(pages), "ids": [item["queueId" if result_key == "queues" else "fleetId"] for p in pages for item in p[result_key]]}


def error(call):
    try:
        call()
    except ClientError as err:
        return {"status": err.response["ResponseMetadata"]["HTTPStatusCode"], **err.response["Error"], **{k: v for k, v in err.response.items() if k not in ("Error", "ResponseMetadata")}}
    return None


def main(endpoint):
    c = client(endpoint)
    farm_id = c.create_farm(displayName="boto3 farm")["farmId"]
    queue_id = c.create_queue(farmId=farm_id, displayName="boto3 queue", defaultBudgetAction="NONE")["queueId"]
    second_queue_id = c.create_queue(farmId=farm_id, displayName="boto3 queue 2")["queueId"]
    fleets = {}
    for kind, configuration in (("serviceManaged", SERVICE_MANAGED), ("customerManaged", CUSTOMER_MANAGED)):
        fleet_id = c.create_fleet(farmId=farm_id, displayName=f"boto3 {kind}", roleArn=ROLE, maxWorkerCount=4, configuration=configuration)["fleetId"]
        got = c.get_fleet(farmId=farm_id, fleetId=fleet_id)
        fleets[kind] = {
            "fleetId": fleet_id,
            "status": got["status"],
            "workerCount": got["workerCount"],
            "minWorkerCount": got["minWorkerCount"],
            "maxWorkerCount": got["maxWorkerCount"],
            "configuration": got["configuration"],
            "capabilities": got.get("capabilities"),
            "createdAt": stamp(got["createdAt"]),
        }
    queue = c.get_queue(farmId=farm_id, queueId=queue_id)
    # UpdateQueue: the second queue gets a budget action (and no budget: blocked) and a location.
    c.update_queue(farmId=farm_id, queueId=second_queue_id, displayName="boto3 queue 2b", defaultBudgetAction="STOP_SCHEDULING_AND_CANCEL_TASKS",
                   requiredFileSystemLocationNamesToAdd=["Shared"])
    updated = c.get_queue(farmId=farm_id, queueId=second_queue_id)
    print(json.dumps({
        "updatedQueue": {k: updated.get(k) for k in ("displayName", "status", "blockedReason", "defaultBudgetAction", "requiredFileSystemLocationNames", "updatedBy")},
        "farmId": farm_id,
        "queueIds": [queue_id, second_queue_id],
        "queue": {
            "displayName": queue["displayName"],
            "status": queue["status"],
            "defaultBudgetAction": queue["defaultBudgetAction"],
            "createdAt": stamp(queue["createdAt"]),
        },
        "fleets": fleets,
        "listedQueues": paged(c, "list_queues", "queues", farmId=farm_id),
        "listedFleets": paged(c, "list_fleets", "fleets", farmId=farm_id),
        "listedFleetsByName": paged(c, "list_fleets", "fleets", farmId=farm_id, displayName="boto3 customerManaged"),
        "unknownQueue": error(lambda: c.get_queue(farmId=farm_id, queueId="queue-" + "0" * 32)),
        "badFleet": error(lambda: c.create_fleet(farmId=farm_id, displayName="bad", roleArn=ROLE, maxWorkerCount=1, configuration={})),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
