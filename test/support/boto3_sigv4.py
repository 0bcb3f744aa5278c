"""boto3 signing with real credentials against farmtally in sigv4 mode: an allowed principal's
calls, a limited principal's refusals and filtered list, a wrong secret and an unknown key.
Reads its settings as JSON on stdin: endpoint, admin and viewer ({"key", "secret"}),
viewerFarm and otherFarm (an older boto3 is given the Deadline Cloud model:
boto3_session.py). Prints what it saw as one JSON object for test/boto3-sigv4.test.ts.
"""
import json
import sys

from botocore.config import Config
from botocore.exceptions import ClientError

from boto3_session import session


def client(settings, key, secret):
    s = session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="ap-southeast-2")
    config = Config(inject_host_prefix=False, retries={"max_attempts": 1})
    return s.client("deadline", endpoint_url=settings["endpoint"], config=config)


def error(call):
    try:
        call()
    except ClientError as err:
        return {"status": err.response["ResponseMetadata"]["HTTPStatusCode"], "code": err.response["Error"]["Code"], "message": err.response["Error"].get("Message", "")}
    return None


def main():
    settings = json.load(sys.stdin)
    admin = client(settings, settings["admin"]["key"], settings["admin"]["secret"])
    viewer = client(settings, settings["viewer"]["key"], settings["viewer"]["secret"])
    farm_id = admin.create_farm(displayName="made by boto3")["farmId"]
    pages = list(viewer.get_paginator("list_farms").paginate(PaginationConfig={"PageSize": 1}))
    print(json.dumps({
        "created": {"farmId": farm_id, "createdBy": admin.get_farm(farmId=farm_id)["createdBy"]},
        "viewerGet": viewer.get_farm(farmId=settings["viewerFarm"])["farmId"],
        "viewerListed": [f["farmId"] for p in pages for f in p["farms"]],
        "viewerPages": len(pages),
        "viewerOtherFarm": error(lambda: viewer.get_farm(farmId=settings["otherFarm"])),
        "viewerCreate": error(lambda: viewer.create_farm(displayName="not allowed")),
        "wrongSecret": error(lambda: client(settings, settings["admin"]["key"], settings["admin"]["secret"] + "x").list_farms()),
        "unknownKey": error(lambda: client(settings, "AKIAUNKNOWNUNKNOWN99", settings["admin"]["secret"]).list_farms()),
    }))


main()
