"""boto3 against farmtally's budgets: creates a farm, a queue and a budget on it, reads the
budget back, and prints what it saw as one JSON object for test/budgets.test.ts.

Usage: python3 boto3_budgets.py ENDPOINT_URL
"""
import json
import sys
from datetime import datetime, timezone

from boto3_client import client, stamp


def main(endpoint):
    c = client(endpoint)
    farm_id = c.create_farm(displayName="boto3 budgets")["farmId"]
    queue_id = c.create_queue(farmId=farm_id, displayName="boto3 queue")["queueId"]
    budget_id = c.create_budget(
        farmId=farm_id,
        displayName="boto3 budget",
        usageTrackingResource={"queueId": queue_id},
        approximateDollarLimit=250.5,
        actions=[{"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 90, "description": "slow down"}],
        schedule={"fixed": {"startTime": datetime(2026, 1, 1, tzinfo=timezone.utc), "endTime": datetime(2099, 1, 1, tzinfo=timezone.utc)}},
    )["budgetId"]
    got = c.get_budget(farmId=farm_id, budgetId=budget_id)
    print(json.dumps({
        "queueId": queue_id,
        "budgetId": budget_id,
        "budget": {
            "budgetId": got["budgetId"],
            "displayName": got["displayName"],
            "status": got["status"],
            "usageTrackingResource": got["usageTrackingResource"],
            "approximateDollarLimit": got["approximateDollarLimit"],
            "usages": got["usages"],
            "actions": got["actions"],
            "schedule": {k: stamp(v) for k, v in got["schedule"]["fixed"].items()},
            "createdAt": stamp(got["createdAt"]),
            "createdBy": got["createdBy"],
        },
    }))


if __name__ == "__main__":
    main(sys.argv[1])
