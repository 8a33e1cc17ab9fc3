"""A Lambda handler that reads its settings as plain environment variables.

secretenv set them before the runtime started, so they exist at import time,
like any variable of the function's configuration.
"""

import os

DB_PASSWORD = os.environ["DB_PASSWORD"]  # a missing setting fails the init, not an invocation
LOG_LEVEL = os.environ.get("LOG_LEVEL", "info")


def handler(event, context):
    # Never return or log a secret value; say only that it is there.
    return {"log_level": LOG_LEVEL, "db_password_set": bool(DB_PASSWORD)}
