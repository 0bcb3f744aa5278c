"""The boto3 session of the test scripts. A current boto3 knows Deadline Cloud as it is; an
older one (Debian's 1.26) predates the service and is given its published model, which
test/support/boto3.ts lays out and names in FARMTALLY_BOTO3_MODELS (empty when not needed).
"""
import os

import boto3


def session(**kwargs):
    s = boto3.session.Session(**kwargs)
    models = os.environ.get("FARMTALLY_BOTO3_MODELS")
    if models:
        s._loader.search_paths.insert(0, models)
    return s
